"""The payment and report commands of the control socket (kioskctl txn, receipt, report).

Each is (function(request, actor), allowed argument names, the action the actor's role must
allow), merged into kioskd.control.handlers.Handlers.commands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from backend_api.jws import b64url_decode
from kioskd.control.args import bool_arg as _bool
from kioskd.control.args import date_arg as _date
from kioskd.control.args import int_arg as _int
from kioskd.control.args import str_arg as _str
from kioskd.control.args import time_arg as _time
from kioskd.control.server import ControlError
from kioskd.hall.range_report import range_problem, range_report
from kioskd.hall.reports import daily_report, print_report
from kioskd.hall.words import payment_reason_fields

if TYPE_CHECKING:
    from drivers.base import ReceiptPrinter
    from kioskd.config import Config
    from kioskd.customer.receipts.reprint import Duplicates
    from kioskd.hall.accounts import Person
    from kioskd.hall.reports import DailyClose
    from kioskd.ledger import Ledger, TxnRecord

Command = Callable[[dict[str, Any], "Person"], Awaitable[dict[str, Any]]]
Require = Callable[["Person", str], Awaitable[None]]
_TXN = re.compile(r"[0-9a-fA-F-]{8,36}")


class PaymentSide(Protocol):
    """The parts of the running kiosk the payment and report commands use."""

    @property
    def config(self) -> Config: ...
    @property
    def ledger(self) -> Ledger: ...
    @property
    def printer(self) -> ReceiptPrinter: ...
    @property
    def duplicates(self) -> Duplicates: ...
    @property
    def daily_close(self) -> DailyClose | None: ...


def payment_commands(daemon: PaymentSide, require: Require) -> dict[str, tuple[Command, frozenset[str], str]]:
    """cmd -> (function, allowed arguments, action) of every payment and report command."""
    c = _PaymentCommands(daemon, require)
    return {
        "txn_list": (c.txn_list, frozenset({"account", "since", "until", "amount"}), "txn_view"),
        "txn_show": (c.txn_show, frozenset({"ref"}), "txn_view"),
        "receipt_reprint": (c.receipt_reprint, frozenset({"ref", "by"}), "receipt_reprint"),
        "report_daily": (c.report_daily, frozenset({"date", "print"}), "report_view"),
        "report_range": (c.report_range, frozenset({"since", "until"}), "report_view"),
        "report_close": (c.report_close, frozenset({"date"}), "report_close"),
    }


def who(actor: Person, req: dict[str, Any]) -> dict[str, Any]:
    """The audit fields of the actor, with the name the installer's shell claimed (--by), if any."""
    claimed = _str(req, "by", None)
    return {**actor.audit(), **({"claimed": claimed} if claimed else {})}


class _PaymentCommands:
    def __init__(self, daemon: PaymentSide, require: Require) -> None:
        self.d, self.require = daemon, require

    async def txn_list(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Payments that took cash, filtered by account, time and amount (fen)."""
        tz = self.d.config.kiosk.tz
        since = _time(req, "since", tz, end=False)
        until = _time(req, "until", tz, end=True)
        amount = _int(req, "amount", None)
        account = _str(req, "account", None)
        records = await self.d.ledger.transactions(
            account=account, since=since, until=until, amount=amount,
            states=("closed", "credited", "pending", "flagged"))
        return {"txns": [_summary(r) for r in records]}

    async def txn_show(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """One transaction in full: notes with times, what was sent, what the backend answered."""
        record = await self._record(req)
        full = asdict(record)
        full["sent"] = _jws_payload(record.payload) if record.payload else None
        full.update(payment_reason_fields(record.opened_reason, record.reason))  # why it exists, how it ended
        # notes sent to be stacked when the kiosk stopped whose fate the validator could not tell
        full["in_doubt"] = [d.view() for d in await self.d.ledger.doubts.notes(txn=record.id)]
        return {"txn": full, "tz": self.d.config.kiosk.tz}

    async def receipt_reprint(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Print a copy marked 补打 DUPLICATE n, recorded in the audit chain."""
        record = await self._record(req)
        if record.seq is None or record.state not in ("credited", "pending", "flagged"):
            raise ControlError(f"transaction {record.id} is {record.state}: no receipt to reprint")
        printed = await self.d.duplicates.print_copy(record, who(actor, req))
        if printed is None:
            raise ControlError(f"receipt {record.seq} not printed: the printer is not ready")
        n, seq = printed
        return {"seq": record.seq, "txn": record.id, "duplicate": n, "audit": seq}

    async def report_daily(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """The daily report of a local date (default today); printed with print=true."""
        c = self.d.config
        report = await daily_report(self.d.ledger, _date(req, c.kiosk.tz), tz=c.kiosk.tz,
                                    kiosk=c.kiosk.id, currency=c.kiosk.currency)
        if _bool(req, "print", False):
            await self.require(actor, "report_print")
            if not await print_report(self.d.printer, report, locale=c.kiosk.locale, encoding=c.printer.encoding):
                raise ControlError(f"daily report {report['date']} not printed: the printer is not ready")
            report["printed"] = True
        return {"report": report}

    async def report_range(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """The report of the local days since..until (inclusive; default: the last 7 days to today)."""
        c = self.d.config
        last = _date(req, c.kiosk.tz, "until")
        first = _date(req, c.kiosk.tz, "since") if req.get("since") is not None else last - timedelta(days=6)
        problem = range_problem(first, last)
        if problem:
            raise ControlError(f"report range {first}..{last}: {problem}")
        return {"report": await range_report(self.d.ledger, first, last, tz=c.kiosk.tz, kiosk=c.kiosk.id,
                                             currency=c.kiosk.currency)}

    async def report_close(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Run the daily close now for a date (default today)."""
        closer = self.d.daily_close
        if closer is None:
            raise ControlError("daily close is not running in this daemon")
        return {"report": await closer.close(_date(req, self.d.config.kiosk.tz), by=actor.audit())}

    async def _record(self, req: dict[str, Any]) -> TxnRecord:
        ref = req.get("ref")
        if isinstance(ref, int) and not isinstance(ref, bool) and ref > 0:
            key: int | str = ref
        elif isinstance(ref, str) and ref.isdigit():
            key = int(ref)
        elif isinstance(ref, str) and _TXN.fullmatch(ref):
            key = ref.lower()
        else:
            raise ControlError("ref: a serial number (seq) or a transaction id is required")
        record = await self.d.ledger.transaction(key)
        if record is None:
            raise ControlError(f"no transaction {ref}")
        return record


def _summary(r: TxnRecord) -> dict[str, Any]:
    return {"seq": r.seq, "txn": r.id, "account": r.account, "holder": r.holder, "amount": r.amount,
            "state": r.state, "started": r.started, "ended": r.ended, "notes": len(r.notes), "ref": r.ref}


def _jws_payload(jws: str) -> Any:
    """The payload of a compact JWS we signed ourselves (shown, not verified)."""
    try:
        return json.loads(b64url_decode(jws.split(".")[1]))
    except (IndexError, ValueError):
        return jws
