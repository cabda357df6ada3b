"""The event pump: device events into the machine, and the validator's credit point into the journal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from drivers import base as ev
from kioskd.custody.door import DoorWatch
from kioskd.custody.session import Custody
from kioskd.hall.alerts import Alerts
from kioskd.ledger import Ledger, LedgerError, NoStackIntent, StorageError
from kioskd.system.health import check_box
from statemachine.model import KioskModel, NoteWithoutPayment

log = logging.getLogger("kioskd")

STORAGE_RETRY = 1.0  # seconds between journal attempts for a note whose credit was refused


class EventPump:
    """Hands each device event to the machine, alerts and custody, one at a time, in order."""

    def __init__(self, *, events: asyncio.Queue[ev.DeviceEvent], model: KioskModel, alerts: Alerts,
                 ledger: Ledger, custody: Custody, door_watch: DoorWatch | None, box_capacity: int,
                 printer_when_unavailable: str, draining: Callable[[], bool],
                 door_unreadable_stops: bool = True,
                 resubmit: Callable[[str], None],
                 note_returned: Callable[[int | None, bool], None] | None = None,
                 observe: Callable[[ev.DeviceEvent], None] | None = None) -> None:
        self.events = events
        self.model = model
        self.alerts = alerts
        self.ledger = ledger
        self.custody = custody
        self.door_watch = door_watch
        self.box_capacity = box_capacity
        self.printer_when_unavailable = printer_when_unavailable  # "notice" or "unavailable"
        self.door_unreadable_stops = door_unreadable_stops  # [door] unreadable_out_of_service
        self.draining = draining  # SIGTERM seen: keys are ignored
        self.resubmit = resubmit  # submit a follow-up payment in the background
        self.note_returned = note_returned  # (value, recognised): the voice says it
        self.observe = observe  # the device log: every event, for a case's evidence
        self.validator_online = asyncio.Event()
        self._seen_validator_online = False

    async def run(self) -> None:
        """Dispatch events until cancelled; a failing event is logged and the next one goes on."""
        this = asyncio.current_task()
        while True:
            event = await self.events.get()
            try:
                if self.observe is not None:
                    self.observe(event)
                await self.dispatch(event)
            except Exception:
                log.exception("handling %r failed", event)
            finally:
                self.events.task_done()  # drain() joins the queue
            if this is not None and this.cancelling():
                # transitions swallows a cancellation that lands inside a trigger: honour it here,
                # or stop would wait its full bound for a pump blocked on the next event
                raise asyncio.CancelledError

    async def check_box(self) -> None:
        """Raise or clear the box-nearly-full alert from the journal's counters."""
        check_box(await self.ledger.counters(), self.box_capacity, self.alerts)

    async def dispatch(self, event: ev.DeviceEvent) -> None:
        """One event into the machine (and alerts, custody, the door watch); then publish."""
        m, a = self.model, self.alerts
        match event:
            case ev.KeyPressed(key=key) if not self.draining():
                await m.press(key)
            case ev.NoteEscrowed(value=value):
                await m.trigger("note_escrowed", value)
            case ev.NoteStacked(value=value):
                await m.trigger("note_stacked", value)
                await self._stalled_note_moved()
                await self.check_box()
            case ev.NoteReturned(value=value):
                await m.trigger("note_returned", value)
                await self._stalled_note_moved()
                if self.note_returned is not None:
                    self.note_returned(value, True)
            case ev.NoteRejected(reason=reason, inhibited=inhibited):
                await m.trigger("note_rejected", reason, inhibited)
                await self._stalled_note_moved()
                if self.note_returned is not None:  # an inhibited note was recognised, only not taken
                    self.note_returned(None, inhibited)
            case ev.NoteJam(where=where):
                a.raise_alert("note_jam", "critical", cause="validator_jam", where=where, txn=m.txn or "")
                await self._problem("jam", "validator_fault")
                await m.trigger("note_jam")
            case ev.JamCleared():
                a.clear_alert("note_jam")
                await self._problem("jam", None)
                await m.trigger("jam_cleared")
            case ev.StackerFull():
                a.raise_alert("stacker_full", "critical")
                await self._problem("stacker", "stacker_full")
                await m.trigger("stacker_full")
            case ev.StackerOpened():
                await self.custody.stacker_opened()  # expected in a session, tampering otherwise
            case ev.StackerClosed():
                await self.custody.stacker_closed()
                await self.check_box()
            case ev.ValidatorFault(kind=kind, code=code):
                # "code" names the alert itself: the device's own code goes in as fault_code
                a.raise_alert("validator_fault", "critical", kind=kind, fault_code=code, cause="device_fault")
                await self._problem("fault", "validator_fault")
            case ev.ValidatorFaultCleared():
                a.clear_alert("validator_fault")
                await self._problem("fault", None)
            case ev.DeviceOffline(device="validator", reason=reason, cause=cause):
                a.raise_alert("validator_offline", "critical", reason=reason, cause=cause)
                await self._problem("validator", "validator_offline")
                await m.trigger("validator_lost")
            case ev.DeviceOnline(device="validator", fate_known=fate_known):
                await self._validator_online(fate_known)
            case ev.DeviceOffline(device="printer"):
                await self._printer_trouble("printer_offline")
            case ev.DeviceOnline(device="printer"):
                await self._printer_trouble(None)
            case ev.PrinterStatus():
                await self._printer_status(event)
            case ev.DoorOpened() if self.door_watch is not None:
                await self.door_watch.opened()
            case ev.DoorClosed() if self.door_watch is not None:
                await self.door_watch.closed()
            case ev.DeviceOffline(device="door", reason=reason, cause=cause):
                log.error("door switch unreadable (%s): the door is not watched", reason)
                a.raise_alert("door_unreadable", "critical", reason=reason, cause=cause)
                if self.door_unreadable_stops:  # nobody would know the door was opened
                    await self._problem("door", "door_unreadable")
            case ev.DeviceOnline(device="door"):
                a.clear_alert("door_unreadable")
                await self._problem("door", None)
            case ev.PowerUpWithBill(where=where):
                log.warning("validator powered up with a note in the %s", where)
            case _:
                log.debug("event %r", event)
        m.publish()

    async def _stalled_note_moved(self) -> None:
        """A note that made no progress (the machine's note_progress limit) landed or came back out:
        its alert and its out-of-service reason end (a jam the validator reported ends at JamCleared)."""
        jam = self.alerts.open.get(("note_jam", "validator"))
        if jam is not None and jam.detail.get("cause") == "no_progress":
            self.alerts.clear_alert("note_jam")
            await self._problem("jam", None)

    async def solved(self, key: str) -> None:
        """Staff solved problem `key` (the box emptied): no longer a reason to be out of service."""
        await self._problem(key, None)
        self.model.publish()

    async def _problem(self, key: str, reason: str | None) -> None:
        if self.model.set_problem(key, reason):
            await self.model.trigger("health_changed")

    async def _validator_online(self, fate_known: bool) -> None:
        if not self._seen_validator_online:
            self._seen_validator_online = True
            if fate_known:
                # the driver reported any credited in-flight note before this event
                dropped = await self.ledger.drop_in_flight_note()
                if dropped:
                    log.warning("note in flight across the restart did not reach the box: %s fen (%s)",
                                dropped[1], dropped[0])
            else:
                await self._note_in_doubt()
        self.alerts.clear_alert("validator_offline")
        self.alerts.clear_alert("validator_fault")
        for key in ("validator", "fault", "stacker", "jam"):
            self.model.set_problem(key, None)
        self.validator_online.set()
        await self.model.trigger("health_changed")

    async def _note_in_doubt(self) -> None:
        """The validator cannot tell whether the note in flight reached the box: never drop it."""
        doubt = await self.ledger.doubts.from_stack_intent()
        if doubt is None:
            return
        log.critical("note in flight across the restart is in doubt (the validator cannot tell whether it "
                     "was stacked): %s fen of payment %s; kept as in-doubt note %d for the next count or staff",
                     doubt.value, doubt.txn, doubt.id)
        self.alerts.raise_alert("note_in_doubt", "critical", device=f"doubt {doubt.id}", doubt=doubt.id,
                                txn=doubt.txn, value=doubt.value, at=doubt.at)

    async def _printer_status(self, status: ev.PrinterStatus) -> None:
        if status.paper == "low":
            self.alerts.raise_alert("printer_paper_low", "warning")
        elif status.paper == "ok":
            self.alerts.clear_alert("printer_paper_low")
        if status.paper == "out":
            await self._printer_trouble("printer_paper_out")
        elif status.online and status.paper in ("ok", "low") and not status.cover_open:
            await self._printer_trouble(None)

    async def _printer_trouble(self, code: str | None) -> None:
        """Paper out or offline: a notice and an alert, or out of service (printer.when_unavailable)."""
        for known in ("printer_paper_out", "printer_offline"):
            if known != code:
                self.alerts.clear_alert(known)
        if code is None:
            self.model.notices.discard("printer_unavailable")
            await self._problem("printer", None)
            return
        self.alerts.raise_alert(code, "warning")
        if self.printer_when_unavailable == "unavailable":
            await self._problem("printer", "printer")
        else:
            self.model.notices.add("printer_unavailable")

    # --- the credit point ---------------------------------------------------------------
    async def commit_credit(self, event: ev.NoteCredited) -> None:
        """The validator's credit point: journal first, the driver ACKs after we return."""
        if event.value is None:
            found = await self.ledger.commit_in_flight_note()
            if found is None:
                # The journal commits a note (clearing its intent) before the ACK; a kill between
                # the two makes the device repeat VEND VALID at start-up for a note already counted.
                log.warning("validator repeated a credit the journal already holds; acknowledged")
            else:
                log.warning("note in flight across the restart credited: %s fen to %s", found[1], found[0])
                await self._submit_if_follow_up(found[0])
            return
        try:
            await self.model.commit_credit(event)
        except StorageError as err:
            await self._commit_when_writable(event, err)
        except (LedgerError, NoteWithoutPayment) as err:
            # the payment closed or left the screen while this note was on its way (a jam cleared late,
            # a held note landing in the next customer's payment): the journal's stack intent books it
            # to the payment that asked for it, or its follow-up payment
            log.warning("note of %s fen landed outside the payment that asked for it (%s)", event.value, err)
            await self._credit_follow_up(event, self._asked_by(err))

    async def _commit_when_writable(self, event: ev.NoteCredited, err: StorageError) -> None:
        """Disk full or read-only at the credit point: no ACK until the note is journalled."""
        log.error("journal refused a %s fen note (%s): it is not acknowledged until journalled",
                  event.value, err)
        self.alerts.raise_alert("validator_fault", "critical", device="journal", cause="journal",
                                error=str(err)[:200])
        await self._problem("storage", "storage")  # out of service once this payment ends
        self.model.notices.add("storage_wait")  # the customer is told to wait for the note
        self.model.publish()
        try:
            while True:
                await asyncio.sleep(STORAGE_RETRY)  # the driver waits in this call: no ACK meanwhile
                try:
                    await self.model.commit_credit(event)
                except StorageError:
                    continue
                except (LedgerError, NoteWithoutPayment) as refused:
                    await self._credit_follow_up(event, self._asked_by(refused))
                log.warning("journal writable again: the %s fen note is recorded", event.value)
                return
        finally:
            self.model.notices.discard("storage_wait")
            self.model.publish()

    def _asked_by(self, refused: Exception) -> str | None:
        """The payment whose stack intent the refused note is: the journal's, else the machine's."""
        if isinstance(refused, NoStackIntent):
            return refused.intent[0] if refused.intent else None
        return self.model.stack_txn or self.model.txn

    async def _credit_follow_up(self, event: ev.NoteCredited, original: str | None) -> None:
        found = await self.ledger.commit_in_flight_note(event.value)
        self.model.stack_txn = None
        if found is not None:
            record = await self.ledger.transaction(found[0])
            if original is not None and record is not None and found[0] != original:
                # that customer may still be reading the result: it says where the note went
                self.model.landed_after_submit(original, found[1], record.seq)
                self.model.publish()
            await self._submit_if_follow_up(found[0])
            return
        # no intent of its value: the note is in the box but belongs to no payment; staff reconcile
        # it at the next custody count (it shows as "over"), the device must not wait for ever
        log.critical("a %s fen note was credited with no stack intent of its value (no payment asked for it)", event.value)
        self.alerts.raise_alert("validator_fault", "critical", device="ledger", cause="note without payment",
                                value=event.value or 0)

    async def _submit_if_follow_up(self, txn: str) -> None:
        record = await self.ledger.transaction(txn)
        if record is not None and record.state == "closed":
            # the note's payment had already closed: the journal put the note in a follow-up
            # payment for the same account, which must be submitted too
            self.resubmit(txn)
