"""What the control socket's commands do, given the parts of the running kiosk they use."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
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
from kioskd.control.cases import CaseSide, case_commands
from kioskd.control.registers import RegisterSide, register_commands
from kioskd.control.server import ControlError, NotPermitted, Peer
from kioskd.customer.commands import customer_commands
from kioskd.hall.accounts import (
    ACTIONS,
    CUSTODY_ALERTS,
    MONEY_ALERTS,
    Accounts,
    NotAllowed,
    Person,
    Refusal,
    require_role,
    socket_caller,
)
from kioskd.hall.range_report import range_problem, range_report
from kioskd.hall.recheck import Recheck, staff_cleared
from kioskd.hall.reports import daily_report, print_report
from kioskd.uplink.status import uplink_state

if TYPE_CHECKING:
    from drivers.base import DoorSensor, ReceiptPrinter
    from kioskd.config import Config
    from kioskd.custody.session import Custody
    from kioskd.customer.receipts.printing import Receipts
    from kioskd.customer.receipts.reprint import Duplicates
    from kioskd.customer.screen.server import SimControl
    from kioskd.hall.alerts import Alert, Alerts
    from kioskd.hall.reports import DailyClose
    from kioskd.ledger import Ledger, TxnRecord
    from kioskd.uplink.client import BackendClient
    from statemachine.model import KioskModel

log = logging.getLogger("kioskd.control.server")

_TXN = re.compile(r"[0-9a-fA-F-]{8,36}")
Command = Callable[[dict[str, Any], Person], Awaitable[dict[str, Any]]]


class Kiosk(Recheck, CaseSide, RegisterSide, Protocol):
    """The parts of the running kiosk (kioskd/app.py's Daemon) the control commands use."""

    @property
    def config(self) -> Config: ...
    @property
    def alerts(self) -> Alerts: ...
    @property
    def ledger(self) -> Ledger: ...
    @property
    def model(self) -> KioskModel: ...
    @property
    def custody(self) -> Custody: ...
    @property
    def printer(self) -> ReceiptPrinter: ...
    @property
    def receipts(self) -> Receipts: ...
    @property
    def duplicates(self) -> Duplicates: ...
    @property
    def door(self) -> DoorSensor | None: ...
    @property
    def client(self) -> BackendClient | None: ...
    @property
    def sim(self) -> SimControl | None: ...
    @property
    def daily_close(self) -> DailyClose | None: ...


class Handlers:
    """The control commands; `handle` is the ControlServer's handler, `run` the staff page's."""

    def __init__(self, daemon: Kiosk) -> None:
        self.d = daemon
        self.accounts = accounts_of(daemon)
        # cmd -> (function, allowed argument names, the action the caller's role must allow;
        # None: anyone who can reach the socket may, as today: liveness, status and alerts)
        self.commands: dict[str, tuple[Command, frozenset[str], str | None]] = {
            "ping": (self.ping, frozenset(), None),
            "whoami": (self.whoami, frozenset(), None),
            "status": (self.status, frozenset(), None),
            "alerts": (self.alerts, frozenset({"all"}), None),
            "alert_ack": (self.alert_ack, frozenset({"id", "by"}), "alert_ack"),
            "alert_clear": (self.alert_clear, frozenset({"id", "by"}), "alert_clear"),
            "txn_list": (self.txn_list, frozenset({"account", "since", "until", "amount"}), "txn_view"),
            "txn_show": (self.txn_show, frozenset({"ref"}), "txn_view"),
            "receipt_reprint": (self.receipt_reprint, frozenset({"ref", "by"}), "receipt_reprint"),
            "report_daily": (self.report_daily, frozenset({"date", "print"}), "report_view"),
            "report_range": (self.report_range, frozenset({"since", "until"}), "report_view"),
            "report_close": (self.report_close, frozenset({"date"}), "report_close"),
            "cashbox_open": (self.cashbox_open, frozenset(), "cashbox_open"),
            "sim_insert": (self.sim_insert, frozenset({"value"}), None),
            "sim_fault": (self.sim_fault, frozenset({"name", "on"}), None),
            **{name: (_as_actor(fn), allowed | {"by"}, name)
               for name, (fn, allowed) in customer_commands(daemon).items()},
            **case_commands(daemon, self.accounts),
            **register_commands(daemon, self.accounts, self.require),
        }

    async def handle(self, request: dict[str, Any], peer: Peer | None = None) -> dict[str, Any]:
        """A control-socket request: who is asking (--as staff + secret, else the socket's
        peer), then `run`."""
        actor = await self._caller(request, peer)
        args = {k: v for k, v in request.items() if k not in ("cmd", "staff", "secret")}
        return await self.run(request["cmd"], args, actor)

    async def run(self, cmd: str, args: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Validate the command and its arguments, check the actor's role, then run it."""
        entry = self.commands.get(cmd)
        if entry is None:
            raise ControlError(f"unknown cmd {cmd!r} (known: {', '.join(sorted(self.commands))})")
        func, allowed, action = entry
        extra = set(args) - allowed
        if extra:
            raise ControlError(f"{cmd}: unknown argument(s) {sorted(extra)}")
        if action is not None:
            await self.require(actor, action)
        return await func({"cmd": cmd, **args}, actor)

    async def require(self, actor: Person, action: str) -> None:
        """NotAllowed (as a refusal, and an audit entry naming who tried) unless the role may."""
        try:
            require_role(actor, action)
        except NotAllowed as err:
            await self.d.ledger.audit_append("staff_refused", {"action": action, **actor.audit()})
            raise NotPermitted(str(err), action, tuple(sorted(ACTIONS.get(action, ())))) from None

    async def emergency_login(self, client: str) -> None:
        """The staff page's emergency token was used: an audit entry and an alert, every time."""
        await self.d.ledger.audit_append("staff_emergency_login", {"client": client, "via": "page"})
        self.d.alerts.raise_alert("staff_emergency_login", "warning", client=client)
        await self.d.alerts.drain()

    async def _caller(self, request: dict[str, Any], peer: Peer | None) -> Person:
        staff, secret = request.get("staff"), request.get("secret")
        if staff is None and secret is None:
            return socket_caller(os.getuid() if peer is None else peer.uid)
        if not isinstance(staff, str) or not isinstance(secret, str) or not staff or len(secret) > 200:
            raise ControlError("staff and secret: a staff ID and its PIN or password, both strings")
        uid = os.getuid() if peer is None else peer.uid
        found = await self.accounts.authenticate(staff, secret, via="kioskctl", uid=uid)
        if isinstance(found, Refusal):
            raise ControlError(found.text("en", self.d.config.kiosk.tz))
        return dataclasses.replace(found, uid=uid)  # who typed the secret, as the kernel says

    # --- commands ---------------------------------------------------------------------
    async def ping(self, _req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Liveness."""
        return {"kiosk": self.d.config.kiosk.id}

    async def whoami(self, _req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Who the daemon takes the caller for, and the role's name."""
        return {"person": actor.view()}

    async def status(self, _req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """State, devices, box counters, outbox depth, last backend contact."""
        d, alerts = self.d, self.d.alerts
        counters = await d.ledger.counters()
        return {
            "kiosk": d.config.kiosk.id,
            "currency": d.config.kiosk.currency,
            "tz": d.config.kiosk.tz,  # where the kiosk is: its dates and times are read there
            "today": _date({}, d.config.kiosk.tz).isoformat(),
            "state": d.model.state,
            "problems": dict(d.model.problems),
            "notices": sorted(d.model.notices),
            "devices": {
                "validator": _device(alerts, "validator", "validator_offline", "validator_fault", "note_jam",
                                     "stacker_full"),
                "printer": _device(alerts, "printer", "printer_offline", "printer_paper_out", "printer_paper_low"),
                # the door switch, when one is fitted: open, closed, unreadable
                **({"door": d.door.state} if d.door is not None else {}),
            },
            "box": {"by_note": {str(v): c for v, c in sorted(counters.items())},
                    "notes": sum(counters.values()), "total": sum(v * c for v, c in counters.items())},
            "outbox": await d.ledger.outbox_depth(), "uplink": await uplink_state(d.ledger, alerts),
            "last_backend_contact": getattr(d.client, "last_contact", None),
            "alerts_open": len(alerts.open),
            "tasks": len(asyncio.all_tasks()),  # a number that must not grow over weeks (bench.soak)
            "simulate": d.sim is not None,
        }

    async def alerts(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Open alerts (and recently cleared ones with all=true)."""
        return {"alerts": self.d.alerts.listing(include_cleared=_bool(req, "all", False))}

    async def alert_ack(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Acknowledge a raised alert by id."""
        alert_id = _str(req, "id")
        alert = self.d.alerts.find(alert_id)
        if alert is None:
            raise ControlError(f"no open alert with id {alert_id!r}")
        if not self.d.alerts.acknowledge(alert.id, _label(actor, req), uid=actor.uid):
            raise ControlError(f"alert {alert.id} ({alert.code}) is already acknowledged")
        await self.d.alerts.drain()
        return {"alert": alert.view()}

    async def alert_clear(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Clear an alert staff have dealt with (one the kiosk cannot sense going away);
        a money alert (flagged payment, count difference) is a manager's to clear."""
        alert_id = _str(req, "id")
        alert = self.d.alerts.find(alert_id)
        if alert is not None and alert.code in MONEY_ALERTS:
            await self.require(actor, "alert_clear_money")
        if alert is not None and alert.code in CUSTODY_ALERTS:
            await self._custody_cleared(alert, actor, req)
        if alert is None or not self.d.alerts.staff_clear(alert.id, _label(actor, req), uid=actor.uid):
            raise ControlError(f"no open alert with id {alert_id!r}")
        await staff_cleared(self.d, alert)
        await self.d.alerts.drain()
        return {"cleared": alert.id, "code": alert.code}

    async def _custody_cleared(self, alert: Alert, actor: Person, req: dict[str, Any]) -> None:
        """Refuse (audited) unless a custody session completed after `alert` was raised."""
        if await self.d.ledger.custody_completed_since(alert.raised_at):
            return
        await self.d.ledger.audit_append("staff_refused", {"action": "alert_clear", "code": alert.code,
                                                           "alert": alert.id, **_who(actor, req)})
        raise ControlError(
            f"alert {alert.id} ({alert.code}) is cleared by a completed custody session (two technicians, "
            "the box counted), not by one person",
            zh=f"告警 {alert.id}（{alert.code}）须由双人开箱清点完成后解除，不能由一人解除")

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
        # notes sent to be stacked when the kiosk stopped whose fate the validator could not tell
        full["in_doubt"] = [d.view() for d in await self.d.ledger.doubts.notes(txn=record.id)]
        return {"txn": full, "tz": self.d.config.kiosk.tz}

    async def receipt_reprint(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Print a copy marked 补打 DUPLICATE n, recorded in the audit chain."""
        record = await self._record(req)
        if record.seq is None or record.state not in ("credited", "pending", "flagged"):
            raise ControlError(f"transaction {record.id} is {record.state}: no receipt to reprint")
        printed = await self.d.duplicates.print_copy(record, _who(actor, req))
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

    async def cashbox_open(self, _req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Start a dual-custody session; the technicians then log in at the keypad."""
        if not await self.d.custody.start("kioskctl", by=actor):
            raise ControlError("no custody session now: a payment or a session is in progress")
        return {"state": self.d.model.state}

    async def sim_insert(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Simulate mode: insert a note of `value` fen (-1: a counterfeit)."""
        sim = self._sim()
        value = _int(req, "value")
        notes = sim.notes()
        if value != -1 and value not in notes:
            known = ", ".join(f"{n // 100}" if n % 100 == 0 else f"{n / 100:.2f}" for n in notes)
            raise ControlError(f"no note of {value} fen: the validator takes notes of {known} yuan "
                               "(or -1 for a counterfeit)")
        taken = await sim.insert(value)
        return {"inserted": value if taken else None, "handed_back": not taken, "state": self.d.model.state}

    async def sim_fault(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Simulate mode: switch an emulator fault on or off."""
        sim = self._sim()
        name, on = _str(req, "name"), _bool(req, "on")
        if name not in sim.faults():
            raise ControlError(f"unknown fault {name!r} (known: {', '.join(sorted(sim.faults()))})")
        await sim.fault(name, on)
        return {"faults": sim.faults()}

    # --- helpers ----------------------------------------------------------------------
    def _sim(self) -> SimControl:
        if self.d.sim is None:
            raise ControlError("sim commands work only in simulate mode (kioskd run --simulate)")
        return self.d.sim

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


def accounts_of(daemon: Kiosk) -> Accounts:
    """The daemon's Accounts, or one on its journal with the [custody] lock-out rules."""
    found = getattr(daemon, "accounts", None)
    if found is not None:
        return found
    c = daemon.config.custody
    return Accounts(getattr(daemon, "ledger", None), max_failures=c.max_failures, lockout=c.lockout)


def _as_actor(command: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]) -> Command:
    """Another area's command, told who acts: its `by` is the person (with the name claimed, if any)."""
    async def run(req: dict[str, Any], actor: Person) -> dict[str, Any]:
        return await command({**req, "by": _label(actor, req)})

    return run


def _who(actor: Person, req: dict[str, Any]) -> dict[str, Any]:
    """The audit fields of the actor, with the name the installer's shell claimed (--by), if any."""
    claimed = _str(req, "by", None)
    return {**actor.audit(), **({"claimed": claimed} if claimed else {})}


def _label(actor: Person, req: dict[str, Any]) -> str:
    """Who acknowledged or cleared, as staff and the backend read it."""
    claimed = _str(req, "by", None)
    return f"{actor.label} for {claimed}" if claimed and claimed != actor.id else actor.label


def _device(alerts: Alerts, device: str, *codes: str) -> str:
    """'online' unless one of the device's alerts is open (then that code)."""
    found = [c for c in codes if alerts.is_open(c, device)]
    return found[0] if found else "online"


def _summary(r: TxnRecord) -> dict[str, Any]:
    return {"seq": r.seq, "txn": r.id, "account": r.account, "holder": r.holder, "amount": r.amount,
            "state": r.state, "started": r.started, "ended": r.ended, "notes": len(r.notes), "ref": r.ref}


def _jws_payload(jws: str) -> Any:
    """The payload of a compact JWS we signed ourselves (shown, not verified)."""
    try:
        return json.loads(b64url_decode(jws.split(".")[1]))
    except (IndexError, ValueError):
        return jws
