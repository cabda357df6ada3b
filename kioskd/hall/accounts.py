"""Staff identity: who acts, and whether their role allows it. The API the rest of kioskd uses.

    found = await accounts.authenticate("2001", secret, via="page")
    if isinstance(found, Refusal):          # unknown, disabled, locked (until), bad_secret (tries left)
        ... show found.text(lang) ...
    require_role(found, "alert_ack")        # NotAllowed unless the person's role may do it
    await ledger.audit_append("reprint", {"txn": ..., **found.audit()})

Roles: `hall` (hall staff: acknowledge, reprint, look up, open cases), `manager` (all that, and
approves: refunds, differences, money alerts, the daily close) and `technician` (the cash box under
dual custody). `installer` is no account: the kiosk's own operator (root or the kioskd user at the
control socket, or the page's emergency token); it may do everything and is always named so.
A caller with no role (another member of the socket's group, without --as) may only read.
To add an action, add it to ACTIONS with the roles that may do it (cases and registers do so).
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from kioskd.ledger.roles import ROLES
from kioskd.system.clock import local_text

if TYPE_CHECKING:
    from kioskd.ledger.staff import AuthResult

INSTALLER = "installer"
HALL_UP = frozenset({"hall", "manager"})
MANAGER = frozenset({"manager"})
ANY_STAFF = frozenset(ROLES)

# action -> the roles that may do it (the installer may do every one)
ACTIONS: dict[str, frozenset[str]] = {
    # everyday hall work
    "alert_ack": HALL_UP,
    "alert_clear": HALL_UP,  # device alerts the kiosk cannot sense going away (box emptied)
    "receipt_reprint": HALL_UP,
    "txn_view": HALL_UP,
    "report_view": HALL_UP,
    "report_print": HALL_UP,
    # cases (issue 17): hall staff follow them; money leaves only with a manager's approval
    "case_view": HALL_UP,
    "case_open": HALL_UP,
    "case_note": HALL_UP,
    "case_recredit": HALL_UP,  # the backend credits the right account, once
    "case_void": HALL_UP,  # the backend decides by its rules
    "case_refund": HALL_UP,  # pays it out; a manager, someone else, approves (refund_approve)
    "case_close": HALL_UP,
    "case_voucher": HALL_UP,
    "payment_end": HALL_UP,  # a note stuck: the customer's counted notes are submitted without it
    # registers (issue 18): differences, claims, keys, patrols, the work log
    "register_view": ANY_STAFF,
    "register_print": ANY_STAFF,
    "difference_explain": ANY_STAFF,  # proposes an explanation; a manager (someone else) approves
    "patrol": ANY_STAFF,
    "key_hand": ANY_STAFF,  # the holder hands a key; the receiver confirms with their own secret
    # a manager's approvals
    "alert_clear_money": MANAGER,  # payment_flagged, custody_mismatch: money is not where it should be
    "report_close": MANAGER,
    "refund_approve": MANAGER,
    "case_writeoff": MANAGER,  # the cash stays with the operator, unallocated
    "doubt_settle": MANAGER,  # an in-doubt note said to be in the box (a claim to credit) or not in it
    "difference_approve": MANAGER,
    "claim_settle": MANAGER,  # a vendor claim compensated, rejected or written off as bad debt
    # the cash box
    "cashbox_open": ANY_STAFF,  # starts a session; the two technicians then log in at the keypad
    "custody": frozenset({"technician"}),
}
# Alerts whose clearing says money is accounted for: a manager's decision.
MONEY_ALERTS = frozenset({"payment_flagged", "custody_mismatch", "note_in_doubt"})
# Alerts only a completed custody session (two technicians, the box counted) clears: no one person.
CUSTODY_ALERTS = frozenset({"box_tamper"})

ROLE_NAMES = {
    "zh-CN": {"hall": "大厅工作人员", "manager": "经理", "technician": "技术员", INSTALLER: "安装维护人员", "": "无角色"},
    "en": {"hall": "hall staff", "manager": "manager", "technician": "technician", INSTALLER: "installer",
           "": "no role"},
}


@dataclass(frozen=True)
class Person:
    """Someone acting on the kiosk: a staff account, or the installer."""

    id: str
    name: str
    role: str  # hall, manager, technician, installer, or "" (may only read)
    via: str  # page, kioskctl, keypad, emergency
    uid: int | None = None  # the control socket's caller as the kernel says (SO_PEERCRED)

    @property
    def label(self) -> str:
        """How the person is named to staff and the backend ("2001 王芳")."""
        return f"{self.id} {self.name}".strip()

    def audit(self) -> dict[str, Any]:
        """The fields every audit entry of this person's action carries."""
        return {"by": self.id, "by_name": self.name, "by_role": self.role, "via": self.via,
                **({} if self.uid is None else {"uid": self.uid})}

    def view(self) -> dict[str, Any]:
        """The person as kioskctl --json and the staff page show it."""
        return {"id": self.id, "name": self.name, "role": self.role, "via": self.via, "label": self.label}


@dataclass(frozen=True)
class Refusal:
    """A failed log-in: unknown, disabled, locked (until), bad_secret (tries left)."""

    staff: str
    reason: str
    tries_left: int | None = None
    locked_until: str | None = None

    def text(self, lang: str = "en", tz: str = "UTC", now: datetime | None = None) -> str:
        """The refusal in plain words (the lock-out's end with its date unless it is today, by `now`)."""
        until = local_time(self.locked_until, tz, now) if self.locked_until else ""
        if lang == "zh-CN":
            return {
                "unknown": "工号或密码错误",
                "disabled": f"工号 {self.staff} 已停用",
                "locked": f"工号 {self.staff} 已锁定，请于 {until} 后再试",
                "bad_secret": f"工号或密码错误，还可再试 {self.tries_left} 次",
            }.get(self.reason, "登录失败")
        return {
            "unknown": "wrong staff ID or secret",
            "disabled": f"staff {self.staff} is disabled",
            "locked": f"staff {self.staff} is locked until {until}",
            "bad_secret": f"wrong staff ID or secret, {self.tries_left} tries left",
        }.get(self.reason, "log-in refused")


class NotAllowed(Exception):
    """The person's role may not do the action; str() says who, role and action."""

    def __init__(self, person: Person, action: str) -> None:
        super().__init__(f"{person.label} ({ROLE_NAMES['en'][person.role]}) may not {action.replace('_', ' ')}")
        self.person, self.action = person, action


def may(person: Person, action: str) -> bool:
    """Whether `person` may do `action` (an unknown action: nobody but the installer)."""
    return person.role == INSTALLER or person.role in ACTIONS.get(action, frozenset())


def require_role(person: Person, action: str) -> None:
    """Raise NotAllowed unless `person` may do `action`."""
    if not may(person, action):
        raise NotAllowed(person, action)


def installer(via: str, detail: str) -> Person:
    """The installer acting through `via` (kioskctl as root, the emergency token), named by `detail`."""
    return Person(INSTALLER, detail, INSTALLER, via)


def socket_caller(uid: int, own_uid: int | None = None) -> Person:
    """The person behind a control-socket connection without --as: root or the daemon's own
    user is the installer; any other user (the socket's group) may only read."""
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = "?"
    if uid in (0, os.getuid() if own_uid is None else own_uid):
        return Person(INSTALLER, f"{user} (uid {uid})", INSTALLER, "kioskctl", uid)
    return Person(f"uid:{uid}", user, "", "kioskctl", uid)


def local_time(utc_text: str, tz: str, now: datetime | None = None) -> str:
    """An RFC 3339 UTC time as local HH:MM, with the date (YYYY-MM-DD HH:MM) if not today's (a lock-out's end)."""
    try:
        return local_text(utc_text, tz, "%Y-%m-%d %H:%M", today_fmt="%H:%M", now=now)
    except ValueError:
        return utc_text


class StaffBook(Protocol):
    """The journal's staff accounts as Accounts reads them (kioskd.ledger.Ledger)."""

    async def staff_enabled(self, staff_id: str) -> bool: ...

    async def staff_authenticate(self, staff_id: str, secret: str, *, context: dict[str, Any],
                                 max_failures: int = ..., lockout: float = ...,
                                 now: datetime | None = ...) -> AuthResult: ...


class Accounts:
    """Authenticates staff against the journal's accounts, with the lock-out rules of [custody]."""

    def __init__(self, ledger: StaffBook, *, max_failures: int = 5, lockout: float = 900.0,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.ledger = ledger
        self.max_failures, self.lockout, self.wall = max_failures, lockout, wall

    async def still_allowed(self, person: Person) -> bool:
        """Whether a person logged in earlier may still act: their account is not disabled since."""
        return person.role == INSTALLER or await self.ledger.staff_enabled(person.id)

    async def authenticate(self, staff_id: str, secret: str, *, via: str, **context: Any) -> Person | Refusal:
        """The person with this ID and secret, or why not; every attempt is audited with `context`."""
        result = await self.ledger.staff_authenticate(
            staff_id, secret, context={"via": via, **context}, max_failures=self.max_failures,
            lockout=self.lockout, now=self.wall())
        if result.verdict == "ok":
            return Person(result.staff, result.name, result.role, via)
        if result.locked_now:
            return Refusal(staff_id, "locked", 0, result.locked_until)
        return Refusal(staff_id, result.verdict, result.tries_left, result.locked_until)
