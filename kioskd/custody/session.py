"""Dual-custody cash-box sessions: two distinct technicians, blind count, reconciliation.

Flow (keypad: digits, `confirm` submits, `backspace` erases, `cancel` clears or aborts):
technician 1 types ID, confirm, PIN, confirm; then a different technician 2 within
`login_timeout` seconds (refused when the two hold the same key, per the key register). Then
the box may be removed (statement rendered, no tamper alert); when a box is inserted again, or
`confirm` is pressed, the count begins: the lines of kioskd.custody.count one at a time
(`backspace` on an empty line goes back one), both technicians confirm with their PINs, and
only then the reconciliation is shown and the handover record (kioskd.custody.handover)
printed; its counterfeits and differences are recorded with it. Every step is an audit entry;
the session's end is written together with a signed checkpoint.

After any end (reconciled, cancelled, timed out, locked out) the screen stays on the result
(the `maintenance_result` state): keys typed then are the technicians', never a customer's.
It leaves `result_guard` seconds after the last key once a key was pressed, or after
`result_timeout` seconds when nobody touches it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.fields import format_utc
from backend_api.jws import b64url
from kioskd.custody.count import count_lines, cycle_letter
from kioskd.custody.counting import CountSteps, printed
from kioskd.custody.statement import Statement
from kioskd.custody.steps import LOGIN_STEPS, MAX_ENTRY, Ended, Session
from kioskd.hall.accounts import Accounts, Person, Refusal
from kioskd.system.clock import wall_now

if TYPE_CHECKING:
    from kioskd.config import CustodyConfig
    from kioskd.hall.alerts import Alerts
    from kioskd.ledger import Ledger
    from statemachine.model import KioskModel

log = logging.getLogger("kioskd.custody.session")

@dataclass(frozen=True)
class CustodySettings:
    """[custody] settings: seconds and attempts."""

    login_timeout: float = 120.0  # for technician 1 after the start, technician 2 after technician 1
    result_timeout: float = 120.0  # the result stays on screen this long when nobody touches it
    result_guard: float = 3.0  # ... and this long after the last key once someone did
    checkpoint_every: float = 3600.0

    @classmethod
    def of(cls, c: CustodyConfig) -> CustodySettings:
        """From [custody] (its lock-out keys are the staff accounts', kioskd.hall.accounts)."""
        return cls(login_timeout=c.login_timeout, result_timeout=c.result_timeout, result_guard=c.result_guard,
                   checkpoint_every=c.checkpoint_every)


def key_signer(key: Ed25519PrivateKey) -> Callable[[bytes], str]:
    """A `sign` callable for ledger checkpoints: Ed25519 with the kiosk key, base64url."""
    return lambda message: b64url(key.sign(message))


class Custody(CountSteps):
    """Custody sessions for one kiosk; the daemon routes keys and stacker events here."""

    def __init__(
        self, *, ledger: Ledger, accounts: Accounts, model: KioskModel, alerts: Alerts,
        sign: Callable[[bytes], str],
        denominations: Callable[[], tuple[int, ...]], settings: CustodySettings = CustodySettings(),
        on_statement: Callable[[Statement], Awaitable[None]] | None = None,
        on_handover: Callable[[dict[str, Any], str], Awaitable[None]] | None = None,
        on_end: Callable[[str], None] | None = None,
        wall: Callable[[], datetime] = wall_now,
    ) -> None:
        self.on_end = on_end  # told the outcome when a session ends (the daemon sends a batch)
        self.ledger, self.model, self.alerts, self.sign = ledger, model, alerts, sign
        self.accounts = accounts  # technicians are staff accounts with the role technician
        self.denominations, self.settings = denominations, settings
        self.on_statement, self.on_handover, self.wall = on_statement, on_handover, wall
        self.session: Session | None = None
        self.ended: Ended | None = None  # on screen after a session, until the technicians leave
        self._timer: asyncio.Task[None] | None = None
        self._deadline = 0.0  # wall-clock end of the running timer (the screen's countdown)
        # keys, box events and timers run one at a time: a timeout cannot end a session
        # half-way through a PIN check that would otherwise open the box afterwards
        self._lock = asyncio.Lock()
        # whatever else holds the maintenance display (a patrol check-in) gives way to a session
        self.make_way: Callable[[], Awaitable[None]] | None = None

    # --- what the screen shows ---------------------------------------------------------
    def view(self) -> dict[str, Any] | None:
        """The snapshot's `custody` object: the session as it goes, or how it ended."""
        if self.session is not None:
            return self.session.view(int(self._deadline * 1000))
        return None if self.ended is None else self.ended.view()

    @property
    def busy(self) -> bool:
        """A session is going or its result is on screen."""
        return self.session is not None or self.ended is not None

    async def idle_key(self, key: str) -> bool:
        """Keys at the idle screen are the customer's: a session starts by the door, key or kioskctl."""
        return False

    # --- start ----------------------------------------------------------------------------
    async def start(self, source: str, by: Person | None = None) -> bool:
        """Begin a session (service key, door switch, kioskctl by someone); False when one cannot start now."""
        async with self._lock:
            return await self._start(source, by)

    async def _start(self, source: str, by: Person | None) -> bool:
        if self.session is None and self.make_way is not None:
            await self.make_way()
        if self.session is not None or self.model.state not in ("service_idle", "unavailable",
                                                                 "maintenance_result"):
            return False
        session = Session(str(uuid.uuid4()), source)
        self.session, self.ended = session, None
        await self.ledger.custody_open(session.id, source)
        await self._audit("custody_start", source=source, **({} if by is None else by.audit()))
        await self.model.trigger("custody_start")
        if not self.model.state.startswith("maintenance"):
            self.session = None
            return False
        self._arm(self.settings.login_timeout, self._login_expired)
        self.model.publish()
        return True

    # --- keys -------------------------------------------------------------------------------
    async def press(self, key: str) -> None:
        """One key of the session's keypad entry."""
        async with self._lock:
            await self._press(key)

    async def _press(self, key: str) -> None:
        s = self.session
        if s is None:
            if self.ended is not None:  # the result on screen: every key is swallowed here
                self.ended.acknowledged = True
                self._arm(self.settings.result_guard, self._dismiss)
                self.model.publish()
            return
        if key.isdigit() and len(key) == 1:
            if len(s.entry) < MAX_ENTRY:
                s.entry += key
            s.message = None
        elif key == "backspace":
            if s.entry:
                s.entry = s.entry[:-1]
            else:
                self._back(s)
        elif key == "cancel":
            if s.step in LOGIN_STEPS:
                await self._end("aborted", "cancelled")
                return
            s.entry = ""
        elif key == "confirm":
            await self._confirm(s)
        elif key == "finish" and s.step == "count" and s.lines[len(s.entered)].kind == "cf_serial":
            s.entry = cycle_letter(s.entry)  # a serial number's letters, as on a phone's keys
        self.model.publish()

    async def _confirm(self, s: Session) -> None:
        entry, s.entry = s.entry, ""
        if s.step in ("tech1_id", "tech2_id"):
            if not entry:
                return
            if s.step == "tech2_id" and s.tech1 is not None and entry == s.tech1[0]:
                await self._audit("custody_same_technician", tech=entry)
                await self._end("aborted", "same_technician")
                return
            s.tech_id, s.step = entry, s.step.replace("_id", "_pin")
        elif s.step in ("tech1_pin", "tech2_pin"):
            await self._login(s, entry)
        elif s.step == "open":
            await self._begin_count(s)
        elif s.step == "count":
            await self._enter_count(s, entry)
        elif s.step in ("confirm1", "confirm2"):
            await self._confirm_count(s, entry)

    async def _login(self, s: Session, pin: str) -> None:
        found = await self._technician(s, s.tech_id, pin)
        if found is None:
            if self.session is s:
                s.step = s.step.replace("_pin", "_id")  # type the ID again
            return
        if s.step == "tech1_pin":
            s.tech1, s.step = (found.id, found.name), "tech2_id"
            await self.ledger.custody_update(s.id, tech1=found.id)
            self._arm(self.settings.login_timeout, self._login_expired)  # the second has its own 120 s
            return
        s.tech2, first = (found.id, found.name), s.tech1[0] if s.tech1 else ""
        shared = await self.ledger.registers.keys_held(first) & await self.ledger.registers.keys_held(found.id)
        if shared:  # dual custody: the two must not hold the same key (钥匙交接 register)
            await self._audit("custody_refused_keys", tech1=first, tech2=found.id, keys=sorted(shared))
            await self._end("aborted", "same_key_holder")
            return
        await self.ledger.custody_update(s.id, tech2=found.id)
        await self._open(s)

    async def _technician(self, s: Session, tech_id: str, pin: str) -> Person | None:
        """The technician with this ID and PIN; else None with the reason on screen, and the
        session ended when the account is locked or disabled."""
        found = await self.accounts.authenticate(tech_id, pin, via="keypad", session=s.id)
        if isinstance(found, Refusal):
            s.refusal = found
            if found.reason in ("locked", "disabled"):
                await self._end("aborted", found.reason)
            else:
                s.message = "bad_pin" if found.reason == "bad_secret" else found.reason
            return None
        if found.role != "technician":
            # hall staff and managers do not open the box: a refusal, not a wrong PIN
            await self._audit("staff_refused", action="custody", **found.audit())
            s.message = "not_technician"
            return None
        s.refusal = None
        return found

    async def _open(self, s: Session) -> None:
        """Both present: freeze the counters, render the statement, expect the box out."""
        self._disarm()
        assert s.tech1 is not None and s.tech2 is not None
        figures = await self.ledger.box_figures()
        s.expected = {int(v): n for v, n in figures["counts"].items()}
        now = format_utc(self.wall())
        box_id = f"{self.ledger.kiosk_id}-{now[:10].replace('-', '')}-{s.id[:8]}"
        s.statement = Statement(self.ledger.kiosk_id, box_id, figures["since"], now, dict(s.expected),
                                figures["payments"], s.tech1, s.tech2)
        s.lines = count_lines(sorted(set(self.denominations()) | set(s.expected)))
        s.step = "open"
        await self.ledger.custody_update(s.id, box_id=box_id)
        await self._audit("custody_open", tech1=s.tech1[0], tech2=s.tech2[0], box_id=box_id,
                          since=figures["since"], counts={str(v): n for v, n in s.expected.items()},
                          payments=figures["payments"], amount=figures["amount"])
        await self.model.trigger("custody_open")
        s.printed = await printed("custody statement", self.on_statement, s.statement)

    # --- the box ------------------------------------------------------------------------------
    async def stacker_opened(self) -> None:
        """The box left the validator: expected in an open session, tampering otherwise."""
        async with self._lock:
            await self._stacker_opened()

    async def _stacker_opened(self) -> None:
        s = self.session
        if s is not None and s.step not in LOGIN_STEPS:
            s.box_out = True
            await self._audit("box_removed")
            self.alerts.raise_alert("box_removed", "info", session=s.id)
            self.model.publish()
            return
        await self._audit("box_tamper", session=None if s is None else s.id)
        self.alerts.raise_alert("box_tamper", "critical")
        if self.model.set_problem("box", "box_tamper"):
            await self.model.trigger("health_changed")

    async def stacker_closed(self) -> None:
        """A box is back: in an open session it is the new box and the count begins."""
        async with self._lock:
            await self._stacker_closed()

    async def _stacker_closed(self) -> None:
        s = self.session
        await self._audit("box_inserted", session=None if s is None else s.id)
        self.alerts.clear_alert("box_removed")
        if s is None or s.step in LOGIN_STEPS:
            return  # still out of service until a custody session
        s.box_out = False
        if s.step == "open":
            await self._begin_count(s)
        self.model.publish()

    async def _begin_count(self, s: Session) -> None:
        assert s.statement is not None
        if not s.counters_reset:
            # the new box starts from zero; the old box's counts are kept under its id
            frozen = await self.ledger.reset_counters(s.statement.box_id)
            s.counters_reset = True
            if frozen != s.expected:  # cannot happen while the validator is inhibited
                log.critical("counters moved during custody: %s != %s", frozen, s.expected)
                s.expected = frozen
        s.step = "count"
        await self._audit("custody_count_start", box_id=s.statement.box_id)
        await self.model.trigger("custody_count")

    async def _confirm_count(self, s: Session, pin: str) -> None:
        tech = s.tech1 if s.step == "confirm1" else s.tech2
        assert tech is not None
        if await self._technician(s, tech[0], pin) is None:
            return
        if s.step == "confirm1":
            s.step = "confirm2"
            return
        await self._reconcile(s)

    # --- end ---------------------------------------------------------------------------------------
    async def _end(self, outcome: str, reason: str | None, **shown: Any) -> None:
        """Close the session: audit entry + signed checkpoint, then show how it ended."""
        s = self.session
        if s is None:
            return
        self._disarm()
        self.session = None
        refusal = s.refusal if reason in ("locked", "disabled") else None
        self.ended = Ended(s.id, outcome, reason, s.tech1, s.tech2, statement=s.printed,
                           staff=None if refusal is None else refusal.staff,
                           locked_until=None if refusal is None else refusal.locked_until, **shown)
        now = format_utc(self.wall())
        await self.ledger.custody_update(s.id, outcome=outcome, reason=reason, ended=now)
        await self.ledger.audit_append_checkpointed(
            "custody_end",
            {"session": s.id, "outcome": outcome, "reason": reason,
             "tech1": None if s.tech1 is None else s.tech1[0], "tech2": None if s.tech2 is None else s.tech2[0]},
            self.sign,
        )
        if outcome != "aborted":
            # a completed session is the one thing that ends a tamper out-of-service
            self.alerts.clear_alert("box_tamper")
            self.alerts.clear_alert("box_not_emptied")  # the box was emptied after all
            self.model.set_problem("box", None)
        log.info("custody session %s ended: %s %s", s.id, outcome, reason or "")
        if self.on_end is not None:
            self.on_end(outcome)
        await self.model.trigger("custody_end")
        self._arm(self.settings.result_timeout, self._dismiss)
        self.model.publish()

    async def _dismiss(self) -> None:
        """The result has been seen (or nobody came): back to customers, or out of service."""
        self.ended = None
        await self.model.trigger("custody_done")
        self.model.publish()

    async def _login_expired(self) -> None:
        await self._end("aborted", "timeout")

    def _arm(self, seconds: float, on_expire: Callable[[], Awaitable[None]]) -> None:
        self._disarm()
        owner = self.session or self.ended  # a timer dies with the session or result it was set for
        self._deadline = time.time() + seconds

        async def expire() -> None:
            await asyncio.sleep(seconds)
            async with self._lock:
                if (self.session or self.ended) is owner and self._timer is asyncio.current_task():
                    self._timer = None  # _end must not cancel the task it runs in
                    await on_expire()

        self._timer = asyncio.get_running_loop().create_task(expire(), name="custody-timer")

    def _disarm(self) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
        self._timer = None

    # --- audit --------------------------------------------------------------------------------------
    async def _audit(self, kind: str, **data: Any) -> None:
        if self.session is not None and "session" not in data:
            data["session"] = self.session.id
        await self.ledger.audit_append(kind, data)

    async def record(self, kind: str, **data: Any) -> None:
        """An audit entry for the daemon (restart, config change, reprint)."""
        await self.ledger.audit_append(kind, data)

    async def run_checkpoints(self) -> None:
        """Sign a checkpoint now and then every `checkpoint_every` seconds, until cancelled."""
        while True:
            await self.ledger.audit_checkpoint(self.sign)
            await asyncio.sleep(self.settings.checkpoint_every)

