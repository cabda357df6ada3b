"""Staff accounts (hall staff, managers, technicians): hashed secrets and lock-out; ledger thread only.

A staff member's PIN or password is kept only as a salted scrypt hash keyed with a secret derived
from the kiosk key (kioskd.ledger.custody's `keyed`), so the journal or a backup alone lets no one
test PINs offline. Every attempt and every lock-out is appended to the audit chain in the same
transaction as the failure counter it changes, so neither can exist without the other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlite_utils import Database

from backend_api.fields import format_utc
from kioskd.ledger.audit import AuditStore
from kioskd.ledger.custody import KEYED, SCRYPT_N, hash_pin, keyed, pin_matches
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import utc_now
from kioskd.ledger.roles import ROLES

ID_MAX_DIGITS = 12  # IDs are typed on the kiosk keypad too
PIN_MIN_DIGITS = 6
PASSWORD_MIN = 8

AuthVerdict = Literal["ok", "unknown", "disabled", "locked", "bad_secret"]


@dataclass(frozen=True)
class StaffMember:
    """A staff account as `staff list` shows it (never the hash)."""

    id: str
    name: str
    role: str
    enabled: bool
    failures: int
    locked_until: str | None
    created: str


@dataclass(frozen=True)
class AuthResult:
    """The outcome of one ID + secret attempt.

    `tries_left` is how many more wrong secrets lock the account (after a wrong one);
    `locked_now` is set when this attempt caused the lock-out.
    """

    verdict: AuthVerdict
    staff: str
    name: str = ""
    role: str = ""
    tries_left: int | None = None
    locked_now: bool = False
    locked_until: str | None = None


def id_problem(staff_id: str, locale: str = "en") -> str | None:
    """Why `staff_id` cannot be a staff ID (digits, typed on the keypad), in `locale`; or None."""
    if not staff_id.isascii() or not staff_id.isdigit():
        return _said(locale, "工号只能是数字（在终端键盘上输入）",
                     "the staff ID must be digits (it is typed on the kiosk keypad)")
    if len(staff_id) > ID_MAX_DIGITS:
        return _said(locale, f"工号最多 {ID_MAX_DIGITS} 位数字", f"the staff ID must have at most {ID_MAX_DIGITS} digits")
    return None


def secret_problem(secret: str, role: str, locale: str = "en") -> str | None:
    """Why `secret` is not acceptable for `role`, in `locale`; or None.

    Technicians type theirs on the keypad: a PIN of at least 6 digits. Hall staff and
    managers may use such a PIN or a password of at least 8 printable characters.
    """
    is_pin = secret.isascii() and secret.isdigit()
    if role == "technician" and not is_pin:
        return _said(locale, "技术员的 PIN 只能是数字（在终端键盘上输入）",
                     "a technician's PIN must be digits only (it is typed on the keypad)")
    if is_pin and len(secret) < PIN_MIN_DIGITS:
        return _said(locale, f"PIN 至少要有 {PIN_MIN_DIGITS} 位数字", f"the PIN must have at least {PIN_MIN_DIGITS} digits")
    if not is_pin and (len(secret) < PASSWORD_MIN or not secret.isprintable()):
        return _said(locale, f"密码至少要有 {PASSWORD_MIN} 个可打印字符（或用数字 PIN）",
                     f"a password must have at least {PASSWORD_MIN} printable characters (or use a PIN of digits)")
    return None


def _said(locale: str, zh: str, en: str) -> str:
    return zh if locale == "zh-CN" else en


class StaffStore:
    """Staff accounts on one sqlite-utils Database; every change and attempt audited."""

    def __init__(self, db: Database, audit: AuditStore, pin_key: bytes | None = None) -> None:
        self.db = db
        self.audit = audit
        self._pin_key = pin_key  # None: the journal was opened without the kiosk key

    def key(self) -> bytes:
        """The PIN key; staff accounts cannot be added or checked without it."""
        if self._pin_key is None:
            raise LedgerError("staff accounts need the kiosk key (PIN hashes are keyed with it)")
        return self._pin_key

    def key_old_hashes(self) -> list[str]:
        """Key every plain scrypt hash left by an older kioskd (no PIN needed: the hash is keyed); audited."""
        pin_key = self.key()
        with self.db.atomic():
            rows = list(self.db.query("SELECT id, pin_hash FROM staff WHERE pin_hash NOT LIKE ? ORDER BY id",
                                      (f"{KEYED}$%",)))
            for row in rows:
                self.db.execute("UPDATE staff SET pin_hash = ? WHERE id = ?", (keyed(pin_key, row["pin_hash"]),
                                                                                row["id"]))
            if rows:
                self.audit.append("staff_pins_keyed", {"staff": [r["id"] for r in rows]})
        return [r["id"] for r in rows]

    def add(self, staff_id: str, name: str, role: str, secret: str, by: dict[str, Any],
            *, scrypt_n: int = SCRYPT_N) -> None:
        """Add an account; refuses a bad ID, role or secret, or an ID already taken (even disabled)."""
        if role not in ROLES:
            raise LedgerError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        problem = id_problem(staff_id) or secret_problem(secret, role)
        if problem:
            raise LedgerError(f"staff {staff_id}: {problem}")
        if not name.strip():
            raise LedgerError(f"staff {staff_id}: the name must not be empty")
        salt = os.urandom(16)
        digest = keyed(self.key(), hash_pin(secret, salt, scrypt_n))
        with self.db.atomic():
            if self._row(staff_id) is not None:
                raise LedgerError(f"staff {staff_id} exists (IDs are never reused)")
            self.db.execute(
                "INSERT INTO staff (id, name, role, pin_hash, salt, created) VALUES (?, ?, ?, ?, ?, ?)",
                (staff_id, name, role, digest, salt.hex(), utc_now()),
            )
            self.audit.append("staff_added", {"staff": staff_id, "name": name, "role": role, **by})

    def disable(self, staff_id: str, by: dict[str, Any]) -> None:
        """Disable an account for good (the record stays, the ID is never reused)."""
        with self.db.atomic():
            if self._row(staff_id) is None:
                raise LedgerError(f"unknown staff {staff_id}")
            self.db.execute("UPDATE staff SET enabled = 0 WHERE id = ?", (staff_id,))
            self.audit.append("staff_disabled", {"staff": staff_id, **by})

    def enabled(self, staff_id: str) -> bool:
        """Whether the account exists and is not disabled."""
        row = self._row(staff_id)
        return row is not None and bool(row["enabled"])

    def members(self, role: str | None = None) -> list[StaffMember]:
        """Every account (of `role` when given), by ID."""
        where, params = ("WHERE role = ?", (role,)) if role else ("", ())
        return [
            StaffMember(r["id"], r["name"], r["role"], bool(r["enabled"]), r["failures"], r["locked_until"],
                        r["created"])
            for r in self.db.query(f"SELECT * FROM staff {where} ORDER BY id", params)
        ]

    def authenticate(self, staff_id: str, secret: str, now: datetime, context: dict[str, Any],
                     max_failures: int, lockout: float) -> AuthResult:
        """Check one ID + secret; count failures, lock out after `max_failures`; all audited.

        `context` (where the attempt came from: via, session, client) goes into the audit entry.
        """
        with self.db.atomic():
            result = self._judge(self._row(staff_id), staff_id, secret, now, max_failures, lockout)
            entry = {**context, "staff": staff_id, "result": result.verdict}
            if result.tries_left is not None:
                entry["tries_left"] = result.tries_left
            self.audit.append("staff_auth", entry)
            if result.locked_now:
                self.audit.append("staff_locked", {**context, "staff": staff_id, "failures": max_failures,
                                                   "until": result.locked_until})
        return result

    def _judge(self, row: dict[str, Any] | None, staff_id: str, secret: str, now: datetime,
               max_failures: int, lockout: float) -> AuthResult:
        if row is None:
            return AuthResult("unknown", staff_id)
        name, role = row["name"], row["role"]
        if not row["enabled"]:
            return AuthResult("disabled", staff_id, name, role)
        locked_until = row["locked_until"]
        if locked_until is not None and locked_until > format_utc(now):
            return AuthResult("locked", staff_id, name, role, locked_until=locked_until)
        failures = row["failures"] if locked_until is None else 0  # an expired lock-out starts afresh
        if pin_matches(secret, row["salt"], row["pin_hash"], self.key()):
            self.db.execute("UPDATE staff SET failures = 0, locked_until = NULL WHERE id = ?", (staff_id,))
            return AuthResult("ok", staff_id, name, role)
        failures += 1
        if failures >= max_failures:
            until = format_utc(now + timedelta(seconds=lockout))
            self.db.execute("UPDATE staff SET failures = 0, locked_until = ? WHERE id = ?", (until, staff_id))
            return AuthResult("bad_secret", staff_id, name, role, tries_left=0, locked_now=True, locked_until=until)
        self.db.execute("UPDATE staff SET failures = ?, locked_until = NULL WHERE id = ?", (failures, staff_id))
        return AuthResult("bad_secret", staff_id, name, role, tries_left=max_failures - failures)

    def _row(self, staff_id: str) -> dict[str, Any] | None:
        return next(iter(self.db.query("SELECT * FROM staff WHERE id = ?", (staff_id,))), None)
