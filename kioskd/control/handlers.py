"""What the control socket's commands do, given the parts of the running kiosk they use."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from kioskd.control.args import bool_arg as _bool
from kioskd.control.args import date_arg as _date
from kioskd.control.args import int_arg as _int
from kioskd.control.args import str_arg as _str
from kioskd.control.cases import CaseSide, case_commands
from kioskd.control.payments import PaymentSide, payment_commands, who
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
from kioskd.hall.recheck import Recheck, staff_cleared
from kioskd.hall.words import state_words
from kioskd.uplink.status import uplink_state

if TYPE_CHECKING:
    from drivers.base import DoorSensor
    from kioskd.config import Config
    from kioskd.custody.session import Custody
    from kioskd.customer.receipts.printing import Receipts
    from kioskd.customer.screen.server import SimControl
    from kioskd.hall.alerts import Alert, Alerts
    from kioskd.ledger import Ledger
    from kioskd.uplink.client import BackendClient
    from statemachine.model import KioskModel

log = logging.getLogger("kioskd.control.server")

Command = Callable[[dict[str, Any], Person], Awaitable[dict[str, Any]]]


class Kiosk(Recheck, CaseSide, RegisterSide, PaymentSide, Protocol):
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
    def receipts(self) -> Receipts: ...
    @property
    def door(self) -> DoorSensor | None: ...
    @property
    def client(self) -> BackendClient | None: ...
    @property
    def sim(self) -> SimControl | None: ...


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
            **payment_commands(daemon, self.require),
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
            # the state in words (the staff page and kioskctl read them here, never a copy of their own)
            "state_zh": state_words(d.model.state)[0], "state_en": state_words(d.model.state)[1],
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
        return {"alerts": self.d.alerts.listing(include_cleared=_bool(req, "all", False)), "tz": self.d.alerts.tz}

    async def alert_ack(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Acknowledge a raised alert by id."""
        alert_id = _str(req, "id")
        alert = self.d.alerts.find(alert_id)
        if alert is None:
            raise ControlError(f"no open alert with id {alert_id!r}")
        if not self.d.alerts.acknowledge(alert.id, _label(actor, req), uid=actor.uid, who=who(actor, req)):
            raise ControlError(f"alert {alert.id} ({alert.code}) is already acknowledged")
        await self.d.alerts.drain()
        return {"alert": alert.view(self.d.alerts.tz)}

    async def alert_clear(self, req: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Clear an alert staff have dealt with (one the kiosk cannot sense going away);
        a money alert (flagged payment, count difference) is a manager's to clear."""
        alert_id = _str(req, "id")
        alert = self.d.alerts.find(alert_id)
        if alert is not None and alert.code in MONEY_ALERTS:
            await self.require(actor, "alert_clear_money")
        if alert is not None and alert.code in CUSTODY_ALERTS:
            await self._custody_cleared(alert, actor, req)
        if alert is None or not self.d.alerts.staff_clear(alert.id, _label(actor, req), uid=actor.uid,
                                                           who=who(actor, req)):
            raise ControlError(f"no open alert with id {alert_id!r}")
        await staff_cleared(self.d, alert)
        await self.d.alerts.drain()
        return {"cleared": alert.id, "code": alert.code}

    async def _custody_cleared(self, alert: Alert, actor: Person, req: dict[str, Any]) -> None:
        """Refuse (audited) unless a custody session completed after `alert` was raised."""
        if await self.d.ledger.custody_completed_since(alert.raised_at):
            return
        await self.d.ledger.audit_append("staff_refused", {"action": "alert_clear", "code": alert.code,
                                                           "alert": alert.id, **who(actor, req)})
        raise ControlError(
            f"alert {alert.id} ({alert.code}) is cleared by a completed custody session (two technicians, "
            "the box counted), not by one person",
            zh=f"告警 {alert.id}（{alert.code}）须由双人开箱清点完成后解除，不能由一人解除")

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


def accounts_of(daemon: Kiosk) -> Accounts:
    """The daemon's Accounts, or one on its journal with the [custody] lock-out rules."""
    found = getattr(daemon, "accounts", None)
    if found is not None:
        return found
    c = daemon.config.custody
    return Accounts(daemon.ledger, max_failures=c.max_failures, lockout=c.lockout)


def _as_actor(command: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]) -> Command:
    """Another area's command, told who acts: its `by` is the person (with the name claimed, if any)."""
    async def run(req: dict[str, Any], actor: Person) -> dict[str, Any]:
        return await command({**req, "by": _label(actor, req)})

    return run


def _label(actor: Person, req: dict[str, Any]) -> str:
    """Who acknowledged or cleared, as staff and the backend read it."""
    claimed = _str(req, "by", None)
    return f"{actor.label} for {claimed}" if claimed and claimed != actor.id else actor.label


def _device(alerts: Alerts, device: str, *codes: str) -> str:
    """'online' unless one of the device's alerts is open (then that code)."""
    found = [c for c in codes if alerts.is_open(c, device)]
    return found[0] if found else "online"

