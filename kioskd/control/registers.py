"""The registers' commands of the control socket (kioskctl difference/claim/key/patrol/handover/audit
list, the staff page's registers tab).

Each is (function(request, actor), allowed argument names, the action the actor's role must
allow), merged into kioskd.control.handlers.Handlers.commands. A second person (the manager who
approves a difference, the one who receives a key) is authenticated here with their own secret.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from kioskd.control.args import MISSING, arg, bool_arg, date_arg, int_arg, str_arg, time_arg
from kioskd.control.server import ControlError, NotPermitted
from kioskd.custody.handover import handover_lines
from kioskd.hall.accounts import ACTIONS, NotAllowed, Refusal, require_role
from kioskd.hall.export import PAYMENT_COLUMNS, payment_rows
from kioskd.hall.paid_figures import TOOK_CASH, day_bounds
from kioskd.hall.range_report import month_of, range_report, week_of
from kioskd.hall.registers.differences import RegisterError, month_bounds
from kioskd.hall.registers.entrywords import entry_words
from kioskd.hall.registers.events import EVENT_WORDS, event_names
from kioskd.hall.registers.paper import (
    claim_form_lines,
    claim_list_lines,
    key_register_lines,
    patrol_lines,
    worklog_lines,
)

if TYPE_CHECKING:
    from kioskd.config import Config
    from kioskd.hall.accounts import Accounts, Person
    from kioskd.hall.registers.wiring import Registers
    from kioskd.ledger import Ledger

Command = Callable[[dict[str, Any], "Person"], Awaitable[dict[str, Any]]]
LANGS = ("zh-CN", "en")
MAX_WORKLOG = 20000  # work-log entries in one reply
DIFFERENCE_PAGE, MAX_DIFFERENCE_PAGE = 100, 5000  # differences in one reply: the default, the most
MAX_SEQ = 2**63 - 1  # the largest entry number SQLite holds: a cursor beyond it is refused


class Refused(ControlError):
    """A register's refusal: str() in English, `zh` in Chinese (the staff page shows the person's language)."""

    def __init__(self, message: str, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh


class RegisterSide(Protocol):
    """The parts of the running kiosk the register commands use."""

    @property
    def config(self) -> Config: ...
    @property
    def ledger(self) -> Ledger: ...
    @property
    def registers(self) -> Registers: ...


def register_commands(daemon: RegisterSide, accounts: Accounts, require: Callable[[Person, str], Awaitable[None]],
                      ) -> dict[str, tuple[Command, frozenset[str], str]]:
    """cmd -> (function, allowed arguments, action) of every register command; `require` checks a
    further action (printing) as Handlers.require does."""
    c = _Commands(daemon, accounts, require)
    printing = frozenset({"print", "lang"})
    return {
        "difference_list": (c.differences, frozenset({"status", "session", "limit", "after"}), "register_view"),
        "difference_resolve": (c.resolve, frozenset({"nos", "outcome", "explanation", "ref", "approver",
                                                     "approver_secret"}), "difference_explain"),
        "counterfeit_photo": (c.photo, frozenset({"no", "photo"}), "difference_explain"),
        "claim_list": (c.claims, frozenset({"month", "status"}) | printing, "register_view"),
        "claim_show": (c.claim, frozenset({"no"}) | printing, "register_view"),
        "claim_settle": (c.settle, frozenset({"no", "status", "vendor_ref", "remark"}), "claim_settle"),
        "handover_show": (c.handover, frozenset({"session"}) | printing, "register_view"),
        "key_list": (c.keys, frozenset({"month"}) | printing, "register_view"),
        "key_hand": (c.hand_key, frozenset({"copy", "key", "to", "to_secret", "reason"}), "key_hand"),
        "patrol_check": (c.patrol, frozenset({"screen_ok", "paper_ok", "seal_ok", "note"}), "patrol"),
        "patrol_note": (c.patrol_note, frozenset({"no", "note"}), "patrol"),
        "patrol_list": (c.patrols, frozenset({"since", "until"}) | printing, "register_view"),
        "worklog": (c.worklog, frozenset({"since", "until", "kind", "person", "limit", "before", "after", "newest"})
                    | printing, "register_view"),
        "report_period": (c.period, frozenset({"period", "date"}), "report_view"),
        "report_export": (c.export, frozenset({"since", "until"}), "report_view"),
    }


class _Commands:
    def __init__(self, daemon: RegisterSide, accounts: Accounts, require: Callable[[Person, str], Awaitable[None]]) -> None:
        self.d, self.accounts, self.require = daemon, accounts, require

    @property
    def r(self) -> Registers:
        return self.d.registers

    @property
    def tz(self) -> str:
        return str(self.d.config.kiosk.tz)

    async def _second(self, person_id: str, secret: str, action: str, actor: Person, purpose: str) -> Person:
        """The second person, authenticated with their own secret and allowed `action`."""
        if person_id == actor.id:
            raise Refused("a second person is needed: not the one who asks", "需要另一人确认，不能是申请人本人")
        found = await self.accounts.authenticate(person_id, secret, via=actor.via, approving=purpose)
        if isinstance(found, Refusal):
            raise Refused(f"{person_id}: {found.text('en', self.tz)}", f"{person_id}：{found.text('zh-CN', self.tz)}")
        try:
            require_role(found, action)
        except NotAllowed as err:
            await self.d.ledger.audit_append("staff_refused", {"action": action, **found.audit()})
            raise NotPermitted(str(err), action, tuple(sorted(ACTIONS.get(action, ())))) from None
        return found

    async def _print(self, req: dict[str, Any], actor: Person, lines: Callable[[str], list[str]], job: str) -> bool:
        """Print when asked (print=true), in `lang` (default the kiosk's); the register_print role check."""
        if req.get("print") is not True:
            return False
        await self.require(actor, "register_print")
        lang = str_arg(req, "lang", self.d.config.kiosk.locale)
        if lang not in LANGS or (self.d.config.printer.encoding == "ascii" and lang != "en"):
            lang = "en" if self.d.config.printer.encoding == "ascii" else self.d.config.kiosk.locale
        if not await self.r.print_lines(lines(lang), job):
            raise Refused(f"{job} not printed: the printer is not ready", "打印机未就绪，未打印")
        await self.d.ledger.audit_append("register_print", {"what": job, **actor.audit()})
        return True

    # -- differences and claims -------------------------------------------------------------
    async def differences(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Differences: open ones (status=open, the default), resolved, or all (status=all), a page at a
        time: `limit` (default 100) numbered above `after`; `newer` is the next page's `after` (or null)."""
        status = str_arg(req, "status", "open")
        if status not in ("open", "resolved", "all"):
            raise ControlError("status: open, resolved or all")
        limit = _bounded(req, "limit", DIFFERENCE_PAGE, 1, MAX_DIFFERENCE_PAGE, "条数")
        after = _bounded(req, "after", None, 0, MAX_SEQ, "差额编号")
        rows = await self.r.differences.listing(None if status == "all" else status, str_arg(req, "session", None),
                                                after=after, limit=limit + 1)
        return {"differences": rows[:limit], "tz": self.tz, "newer": rows[limit - 1]["id"] if len(rows) > limit else None,
                "open": await self.d.ledger.registers.open_figures()}

    async def resolve(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Explain differences and name their outcome; a manager (someone else) approves with their secret."""
        nos = req.get("nos")
        if not isinstance(nos, list) or not nos or not all(isinstance(n, int) and not isinstance(n, bool) for n in nos):
            raise ControlError("nos: a list of difference numbers required")
        approver = await self._second(str_arg(req, "approver"), str_arg(req, "approver_secret"),
                                      "difference_approve", actor, f"differences {nos}")
        return await _refused(self.r.differences.resolve(nos, str_arg(req, "outcome"), str_arg(req, "explanation"),
                                                         str_arg(req, "ref", None), actor, approver))

    async def photo(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """The photo reference of a counterfeit note (a file name or link), once."""
        photo = str_arg(req, "photo")
        if len(photo) > 200:
            raise ControlError("photo: at most 200 characters")
        try:
            return {"counterfeit": await self.d.ledger.registers.set_photo(int_arg(req, "no"), photo, actor.audit())}
        except Exception as err:  # a LedgerError: no such note, or its photo already recorded
            raise Refused(str(err).rpartition(": ")[2], "假币照片未能记录（编号不对或已有照片）") from None

    async def claims(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Vendor claims of a month (default this month); print=true prints the monthly list."""
        month = str_arg(req, "month", None) or date_arg({}, self.tz).isoformat()[:7]
        rows = await _refused(self.r.differences.claims(month, str_arg(req, "status", None)))
        kiosk = self.d.config.kiosk.id
        printed = await self._print(req, actor, lambda lang: claim_list_lines(rows, month, kiosk, lang, self.tz),
                                    f"claims {month}")
        return {"month": month, "claims": rows, "printed": printed, "tz": self.tz}

    async def claim(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """One vendor claim; print=true prints its claim form."""
        found = await _refused(self.r.differences.claim(int_arg(req, "no")))
        kiosk = self.d.config.kiosk.id
        printed = await self._print(req, actor, lambda lang: claim_form_lines(found, kiosk, lang, self.tz),
                                    f"claim {found['id']}")
        return {"claim": found, "printed": printed, "tz": self.tz}

    async def settle(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """A claim compensated, rejected or written off as bad debt (a manager)."""
        return {"claim": await _refused(self.r.differences.settle(
            int_arg(req, "no"), str_arg(req, "status"), actor, str_arg(req, "vendor_ref", None),
            str_arg(req, "remark", None)))}

    async def handover(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """A session's handover record (default the newest); print=true prints it again."""
        session = str_arg(req, "session", None)
        if session is None or len(session) < 36:
            known = await self.d.ledger.registers.last_handovers(200)
            match = [h for h in known if session is None or h["session"].startswith(session)]
            if not match:
                raise Refused(f"no handover record {session or ''}".strip(), "没有该交接记录")
            session = match[0]["session"]
        found = await self.d.ledger.registers.handover(session)
        if found is None:
            raise Refused(f"no handover record {session}", "没有该交接记录")
        printed = await self._print(req, actor, lambda lang: handover_lines(found["record"], found["digest"], lang,
                                                                            self.tz), f"handover {found['box_id']}")
        return {"handover": found, "printed": printed, "tz": self.tz}

    # -- keys and patrols ---------------------------------------------------------------------
    async def keys(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Who holds each key now, and the handovers of a month (default this month)."""
        month = str_arg(req, "month", None) or date_arg({}, self.tz).isoformat()[:7]
        since, until = await _refused(_month(month, self.tz))
        copies = await self.d.ledger.registers.key_copies()
        handed = await self.d.ledger.registers.key_handovers(since, until)
        kiosk = self.d.config.kiosk.id
        printed = await self._print(req, actor, lambda lang: key_register_lines(copies, handed, month, kiosk, lang,
                                                                                self.tz), f"key register {month}")
        return {"month": month, "copies": copies, "handovers": handed, "printed": printed, "tz": self.tz}

    async def hand_key(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Hand a key copy to someone (they confirm with their own secret); a manager issues a new copy."""
        receiver = await self._second(str_arg(req, "to"), str_arg(req, "to_secret"), "key_hand", actor,
                                      f"key {str_arg(req, 'copy')}")
        return {"handover": await _refused(self.r.keys.hand(str_arg(req, "copy"), actor, receiver,
                                                            str_arg(req, "reason"), str_arg(req, "key", None)))}

    async def patrol(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """A patrol check-in: screen_ok, paper_ok, seal_ok (true or false) and a note."""
        checks = {k: req.get(k) for k in ("screen_ok", "paper_ok", "seal_ok")}
        return {"patrol": await _refused(self.r.patrols.check_in(actor, checks, _note(req, ""))),
                "tz": self.tz}

    async def patrol_note(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """A note added to a patrol afterwards (a keypad check-in has none), by the one who asks."""
        return {"note": await _refused(self.r.patrols.add_note(actor, int_arg(req, "no"), _note(req)))}

    async def patrols(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Patrols of local days since..until (default today); print=true prints them."""
        since, until = _days(req, self.tz)
        rows = await self.d.ledger.registers.patrols(since, until)
        title = f"{req.get('since') or ''} .. {req.get('until') or ''}".strip(" .") or date_arg({}, self.tz).isoformat()
        kiosk = self.d.config.kiosk.id
        printed = await self._print(req, actor, lambda lang: patrol_lines(rows, title, kiosk, lang, self.tz),
                                    "patrol log")
        return {"patrols": rows, "printed": printed, "tz": self.tz}

    async def worklog(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """The work log (工作日志): audit entries of local days since..until, by kind and person, a page
        at a time: the oldest `limit` (after=SEQ: above entry SEQ), or the newest (newest=true;
        before=SEQ: below entry SEQ). `older` and `newer` are the cursors to the next pages (or null)."""
        since, until = _days(req, self.tz)
        kinds = tuple(k for k in (str_arg(req, "kind", "") or "").split(",") if k)
        limit = _bounded(req, "limit", 5000, 1, MAX_WORKLOG, "条目数")
        before, after = _bounded(req, "before", None, 1, MAX_SEQ, "条目号"), _bounded(req, "after", None, 0, MAX_SEQ,
                                                                                    "条目号")
        if bool_arg(req, "newest", False):
            before = MAX_SEQ if before is None else before
        if before is not None and after is not None:
            raise Refused("before and after: one cursor at a time", "before 与 after 只能给一个")
        rows, older, newer = await self.d.ledger.registers.audit_list(since, until, kinds, str_arg(req, "person", None),
                                                                      limit, before, after)
        title = f"{req.get('since') or ''} .. {req.get('until') or ''}".strip(" .") or date_arg({}, self.tz).isoformat()
        kiosk = self.d.config.kiosk.id
        printed = await self._print(req, actor, lambda lang: worklog_lines(rows, title, kiosk, lang, self.tz),
                                    "work log")
        # an empty page's cursors go on from where it was asked (an empty newest page has neither)
        first = rows[0]["seq"] if rows else min((after or 0) + 1, MAX_SEQ)
        last = rows[-1]["seq"] if rows else (before or 1) - 1
        # every kind in words (the page's kind filter offers them all), zh-CN and en
        # each entry's data in words too, for the page's detail column (kioskctl prints the same)
        worded = [{**r, "words": {lang: entry_words(r["data"], lang) for lang in ("zh-CN", "en")}} for r in rows]
        return {"entries": worded, "printed": printed, "tz": self.tz, "names": event_names(list(EVENT_WORDS)),
                "older": first if older else None, "newer": last if newer else None}

    # -- reports ------------------------------------------------------------------------------------
    async def period(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """The weekly or monthly report of the week or month that holds `date` (default today)."""
        kind = str_arg(req, "period")
        day = date_arg(req, self.tz)
        if kind not in ("week", "month"):
            raise ControlError("period: week or month")
        first, last = week_of(day) if kind == "week" else month_of(day)
        c = self.d.config.kiosk
        return {"report": await range_report(self.d.ledger, first, last, tz=c.tz, kiosk=c.id, currency=c.currency,
                                             period=kind)}

    async def export(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """The reconciliation file: one row per payment of local days since..until (default the last 7 days)."""
        last = date_arg(req, self.tz, "until")
        first = date_arg(req, self.tz, "since") if req.get("since") else last - timedelta(days=6)
        since, until = day_bounds(first, self.tz)[0], day_bounds(last, self.tz)[1]
        c = self.d.config.kiosk
        txns = await self.d.ledger.transactions(since=since, until=until, states=TOOK_CASH, by="ended")
        await self.d.ledger.audit_append("report_export", {"since": since, "until": until, **actor.audit()})
        return {"columns": list(PAYMENT_COLUMNS), "rows": payment_rows(txns, kiosk=c.id, currency=c.currency, tz=c.tz),
                "first": first.isoformat(), "last": last.isoformat()}


def _bounded(req: dict[str, Any], name: str, default: int | None, low: int, high: int, zh: str) -> Any:
    """An integer argument from `low` to `high` (a page size, an entry number), a refusal otherwise."""
    value = req.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Refused(f"{name}: an integer from {low} to {high} required, got {value!r}"[:200],
                      f"{name}（{zh}）须为 {low} 至 {high} 的整数，收到 {value!r}"[:200])
    return value


def _note(req: dict[str, Any], default: Any = MISSING) -> str:
    """A patrol's note: any text here (none when all is fine); Patrols refuses one too long in words."""
    return str(arg(req, "note", default, lambda v: isinstance(v, str), "a string"))


def _days(req: dict[str, Any], tz: str) -> tuple[str, str]:
    """[since, until) of local days since..until (each a date or an RFC 3339 time; default today)."""
    since = time_arg(req, "since", tz, end=False) or day_bounds(date_arg({}, tz), tz)[0]
    until = time_arg(req, "until", tz, end=True) or "~"
    return since, until


async def _month(month: str, tz: str) -> tuple[str, str]:
    return month_bounds(month, tz)


async def _refused(awaitable: Awaitable[Any]) -> Any:
    """The result, with a RegisterError turned into the control socket's refusal (both languages)."""
    try:
        return await awaitable
    except RegisterError as err:
        raise Refused(str(err), err.zh) from None
