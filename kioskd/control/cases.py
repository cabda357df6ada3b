"""The case commands of the control socket (kioskctl case ... and the staff page's cases).

Each is (function(request, actor), allowed argument names, the action the actor's role must
allow), merged into kioskd.control.handlers.Handlers.commands. A refund names a second person,
the manager who approves it: authenticated here with their own secret (never the payer's, who
is refused before anything is checked or written), and their role checked like the caller's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from kioskd.control.server import ControlError, NotPermitted
from kioskd.hall.accounts import ACTIONS, NotAllowed, Refusal, require_role
from kioskd.hall.cases import CaseError
from kioskd.hall.cases.doubts import settle_by_staff
from kioskd.hall.cases.evidence import evidence_text, gather
from kioskd.hall.cases.rules import MAX_TEXT

if TYPE_CHECKING:
    from kioskd.config import Config
    from kioskd.hall.accounts import Accounts, Person
    from kioskd.hall.cases import Cases
    from kioskd.hall.cases.devicelog import DeviceLog
    from kioskd.ledger import Ledger

Command = Callable[[dict[str, Any], "Person"], Awaitable[dict[str, Any]]]
STATUSES = ("open", "waiting", "resolved", "rejected")
LANGS = ("zh-CN", "en")


class CaseSide(Protocol):
    """The parts of the running kiosk the case commands use."""

    @property
    def config(self) -> Config: ...
    @property
    def ledger(self) -> Ledger: ...
    @property
    def cases(self) -> Cases: ...
    @property
    def device_log(self) -> DeviceLog | None: ...


def case_commands(daemon: CaseSide, accounts: Accounts) -> dict[str, tuple[Command, frozenset[str], str]]:
    """cmd -> (function, allowed arguments, action) of every case command."""
    c = _CaseCommands(daemon, accounts)
    return {
        "case_list": (c.listing, frozenset({"status"}), "case_view"),
        "case_show": (c.show, frozenset({"no"}), "case_view"),
        "case_evidence": (c.evidence, frozenset({"no", "lang"}), "case_view"),
        "case_lookup": (c.lookup, frozenset({"account"}), "case_view"),
        "case_open": (c.open, frozenset({"ref", "claim", "when", "account", "phone", "note"}), "case_open"),
        "case_note": (c.note, frozenset({"no", "text"}), "case_note"),
        "case_recredit": (c.recredit, frozenset({"no", "account", "holder", "reason"}), "case_recredit"),
        "case_void": (c.void, frozenset({"no", "to", "holder", "reason"}), "case_void"),
        "case_refund": (c.refund, frozenset({"no", "amount", "reason", "approver", "approver_secret", "lang"}),
                        "case_refund"),
        "case_writeoff": (c.writeoff, frozenset({"no", "reason"}), "case_writeoff"),
        "case_close": (c.close, frozenset({"no", "reason", "reject"}), "case_close"),
        "case_voucher": (c.voucher, frozenset({"no", "lang"}), "case_voucher"),
        "doubt_settle": (c.settle_doubt, frozenset({"doubt", "as", "reason"}), "doubt_settle"),
    }


class _CaseCommands:
    def __init__(self, daemon: CaseSide, accounts: Accounts) -> None:
        self.d, self.accounts = daemon, accounts

    @property
    def cases(self) -> Cases:
        return self.d.cases

    async def _view(self, no: int) -> dict[str, Any]:
        return {**await _refused(self.cases.view(no)), "tz": self.d.config.kiosk.tz}

    async def listing(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Cases, newest first; `status` one of open, waiting, resolved, rejected (default: all)."""
        status = _text(req, "status", None)
        if status is not None and status not in STATUSES:
            raise ControlError(f"status: one of {', '.join(STATUSES)}, got {status!r}")
        return {"cases": await self.cases.listing((status,) if status else None), "tz": self.d.config.kiosk.tz}

    async def show(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """One case in full: steps, outcomes, the payment, what it may do next."""
        return await self._view(_no(req))

    async def evidence(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """The case's evidence as JSON and as readable text."""
        lang = _lang(req)
        found = await _refused(gather(self.cases, _no(req), self.d.device_log))
        await self.d.ledger.audit_append("case_evidence", {"no": _no(req), **actor.audit()})
        return {"evidence": found, "text": evidence_text(found, lang or self.d.config.kiosk.locale,
                                                         self.d.config.kiosk.tz)}

    async def lookup(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """The holder of an account, for staff to confirm before a re-credit or void."""
        info = await _refused(self.cases.lookup(_text(req, "account")))
        return {"account": info.account, "holder": info.holder, "max": info.max}

    async def open(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """A case on a payment (`ref`: serial number or transaction id) or a claim (`claim`: note fen)."""
        ref, claim = req.get("ref"), req.get("claim")
        phone, note = _text(req, "phone", None), _text(req, "note", None)
        if (ref is None) == (claim is None):
            raise ControlError("case_open: either ref (a payment) or claim (a note's value in fen) required")
        if ref is not None:
            if not isinstance(ref, str | int) or isinstance(ref, bool) or not str(ref):
                raise ControlError("ref: a serial number or a transaction id required")
            case = await _refused(self.cases.open_payment(ref, actor, phone=phone, note=note))
        else:
            case = await _refused(self.cases.open_claim(
                _int(req, "claim"), actor, when=_text(req, "when", None), account=_text(req, "account", None),
                phone=phone, note=note))
        return await self._view(case.no)

    async def note(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Add a note to a case."""
        await _refused(self.cases.note(_no(req), _text(req, "text"), actor))
        return await self._view(_no(req))

    async def recredit(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Credit the case's cash to the right account, its holder confirmed."""
        await _refused(self.cases.recredit(_no(req), _text(req, "account"), _text(req, "holder"),
                                           _text(req, "reason"), actor))
        return await self._view(_no(req))

    async def void(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Ask the backend to move a credited payment to the right account."""
        await _refused(self.cases.void(_no(req), _text(req, "to"), _text(req, "holder"), _text(req, "reason"), actor))
        return await self._view(_no(req))

    async def refund(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Cash paid back by the caller, approved by a manager who is someone else; the voucher printed."""
        approver_id, secret = _text(req, "approver"), _text(req, "approver_secret")
        if approver_id == actor.id:  # before anything is authenticated or written
            raise ControlError("a refund needs a second person: the manager who approves cannot be the one who "
                              "pays it out", "退款须由另一位经理审批，经办人不能自己审批")
        approver = await self.accounts.authenticate(approver_id, secret, via=actor.via, approving=f"refund case "
                                                    f"{_no(req)}")
        if isinstance(approver, Refusal):
            raise ControlError(f"approver: {approver.text('en', self.d.config.kiosk.tz)}",
                              f"审批人：{approver.text('zh-CN', self.d.config.kiosk.tz)}")
        try:
            require_role(approver, "refund_approve")
        except NotAllowed as err:
            await self.d.ledger.audit_append("staff_refused", {"action": "refund_approve", **approver.audit()})
            raise NotPermitted(f"approver: {err}", "refund_approve", tuple(sorted(ACTIONS["refund_approve"]))) from None
        _, printed = await _refused(self.cases.refund(_no(req), _int(req, "amount"), _text(req, "reason"), actor,
                                                      approver, lang=_lang(req)))
        return {**await self._view(_no(req)), "voucher_printed": printed}

    async def writeoff(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Write the case's cash off (a manager)."""
        await _refused(self.cases.writeoff(_no(req), _text(req, "reason"), actor))
        return await self._view(_no(req))

    async def close(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Close without a money outcome: resolved (no action), or rejected with reject=true."""
        reject = req.get("reject", False)
        if not isinstance(reject, bool):
            raise ControlError("reject: true or false required")
        await _refused(self.cases.close(_no(req), _text(req, "reason"), actor, reject=reject))
        return await self._view(_no(req))

    async def voucher(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Print the refund voucher again, marked as a copy."""
        if not await _refused(self.cases.print_voucher(_no(req), lang=_lang(req), copy=True)):
            raise ControlError("the printer is not ready: the voucher was not printed",
                              "打印机未就绪：凭证未打印")
        await self.d.ledger.audit_append("case_voucher_copy", {"no": _no(req), **actor.audit()})
        return {"printed": True}


    async def settle_doubt(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """An in-doubt note settled by staff: `as` stacked (a claim case to credit) or not_in_box."""
        note = await _refused(settle_by_staff(self.d.ledger, self.cases.alerts, req.get("doubt"), req.get("as"),
                                              req.get("reason"), actor))
        case = await self.d.ledger.cases.case(note.case_id) if note.case_id else None
        return {"doubt": note.view(), "case": None if case is None else case.no}


async def _refused(awaitable: Awaitable[Any]) -> Any:
    """The result, with a CaseError turned into the control socket's refusal (both languages)."""
    try:
        return await awaitable
    except CaseError as err:
        raise ControlError(str(err), err.zh) from None


def _no(req: dict[str, Any]) -> int:
    value = req.get("no")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ControlError("no: a case number required")
    return value


def _int(req: dict[str, Any], name: str) -> int:
    value = req.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ControlError(f"{name}: an integer (fen) required")
    return value


_MISSING = object()


def _text(req: dict[str, Any], name: str, default: Any = _MISSING) -> Any:
    value = req.get(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ControlError(f"{name}: required")
        return default
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ControlError(f"{name}: text of at most {MAX_TEXT} characters required")
    return value


def _lang(req: dict[str, Any]) -> str | None:
    lang = _text(req, "lang", None)
    if lang is not None and lang not in LANGS:
        raise ControlError(f"lang: one of {', '.join(LANGS)}")
    return lang
