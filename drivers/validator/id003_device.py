"""JCM ID-003 bill validator driver: asyncio, polled, credit committed before the ACK goes out."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection

from drivers.base import (
    CreditCommit,
    DeviceEvent,
    DeviceOffline,
    DeviceOnline,
    EventSink,
    NoteCredited,
    NoteEscrowed,
    NoteRejected,
    NoteReturned,
    NoteStacked,
    PowerUpWithBill,
)
from drivers.errors import DeviceError, DeviceUnavailable, ProtocolError
from drivers.transport import Backoff
from drivers.validator.conditions import ConditionEdges, StatusTable
from drivers.validator.id003 import (
    ACK_REPLY,
    FAILURE_CODES,
    REJECT_REASONS,
    Cmd,
    CurrencyEntry,
    Frame,
    Id003Parser,
    Status,
    build_frame,
    denomination_mask,
    describe,
    parse_currency_table,
)
from drivers.validator.link import SerialLink, pause

log = logging.getLogger(__name__)

RETRIES = 3  # tries per request before the device counts as gone
_IN_STACKER = (Status.VEND_VALID, Status.STACKED, Status.POWER_UP_BILL_IN_STACKER)
# Statuses on the way into the box; start-up waits them out before deciding (and before RESET).
_SETTLING = (Status.STACKING,)
_SETTLE_POLLS = 50
# Statuses of a note between slot and box (or back): polled every FAST_POLL seconds (link.pause).
_MOVING = frozenset({Status.ACCEPTING, Status.ESCROW, Status.STACKING, Status.VEND_VALID,
                     Status.STACKED, Status.REJECTING, Status.RETURNING, Status.HOLDING})
_STATUSES = frozenset(s.value for s in Status)  # built once: the poll loop runs all day
_JAMS = {Status.ACCEPTOR_JAM: "acceptor", Status.STACKER_JAM: "stacker"}
_FAULTS = {Status.PAUSE: "pause", Status.CHEATED: "cheated", Status.FAILURE: "failure",
           Status.COMMUNICATION_ERROR: "communication error"}
_CONDITIONS = StatusTable(jams=_JAMS, full=Status.STACKER_FULL, open=Status.STACKER_OPEN, faults=_FAULTS,
                          failure=Status.FAILURE, failure_codes=FAILURE_CODES)


class Id003Validator:
    """A JCM ID-003 validator on a serial port (9600 8E1; a pty is opened 8N1)."""

    def __init__(
        self,
        port: str,
        *,
        name: str = "validator",
        poll_interval: float = 0.2,
        denominations: tuple[int, ...] | None = None,
        reply_timeout: float = 0.5,
        baudrate: int = 9600,
    ) -> None:
        self.name = name
        self.port = port
        self.poll_interval = poll_interval
        self.reply_timeout = reply_timeout
        self.baudrate = baudrate
        self._wanted = frozenset(denominations) if denominations is not None else None
        self._table: tuple[CurrencyEntry, ...] = ()
        self._accepting = False  # what the machine asked for; re-applied after reconnects
        self._link = SerialLink[Frame](port, name=name, log=log, parser=Id003Parser,
                                       baudrate=baudrate, parity="E", describe=describe)
        self._wake = asyncio.Event()  # set when the host just changed the device: poll at once
        self._online = False
        self._sink: EventSink = lambda event: None
        self._last = -1  # last status code seen
        self._escrow_value: int | None = None
        self._credited = False  # the current VEND VALID was committed (re-ACK, never re-credit)
        self._edges = ConditionEdges(self.name, self._emit)
        # heartbeat for the daemon's watchdog: monotonic time of the last completed poll or
        # connection attempt (a deliberate back-off wait is stamped up to its end)
        self.last_progress = time.monotonic()

    @property
    def _parser(self) -> Id003Parser:
        # the contract tests read every driver's parser counters (dropped bytes, bad frames)
        return self._link.parser

    # -- public API ----------------------------------------------------------------------------

    def denominations(self) -> tuple[int, ...]:
        """Note values (fen) from the device's table, restricted to the configured ones."""
        return tuple(sorted(v for v in (e.value_fen for e in self._table)
                            if self._wanted is None or v in self._wanted))

    def report_again(self, event: type[DeviceEvent]) -> None:
        """Forget the lasting condition behind `event`: the next poll emits it again if it lasts."""
        self._edges.forget(event)

    async def set_accepting(self, enabled: bool) -> None:
        """Enable or inhibit acceptance (C3, echo checked); remembered across reconnects."""
        self._accepting = enabled
        if self._online:
            await self._send_setting(Cmd.SET_INHIBIT, b"\x00" if enabled else b"\x01")
            if enabled:
                self._wake.set()  # a customer may insert a note now: poll at once, then fast

    async def stack(self) -> None:
        """Send STACK-1 for the note in escrow; raises DeviceError if the device refuses."""
        await self._operation(Cmd.STACK_1)
        self._wake.set()  # the note is on its way in: follow it now

    async def return_note(self) -> None:
        """Send RETURN for the note in escrow; raises DeviceError if the device refuses."""
        await self._operation(Cmd.RETURN)
        self._wake.set()  # the note is on its way back: follow it now

    async def run(self, sink: EventSink, commit_credit: CreditCommit) -> None:
        """Connect, initialise, poll, reconnect with backoff, until cancelled."""
        self._sink = sink
        backoff = Backoff(initial=min(0.1, self.poll_interval * 2 + 0.01), maximum=5.0)
        offline_reason = ""
        while True:
            self.last_progress = time.monotonic()
            try:
                await self._link.connect()
                while True:
                    await self._initialise(commit_credit)
                    backoff.reset()
                    if not self._online:
                        self._online = True
                        log.info("%s: online at %s", self.name, self.port)
                        self._emit(DeviceOnline(self.name, detail=f"ID-003 at {self.port}"))
                    try:
                        await self._poll_forever(commit_credit)
                    except _Restarted:
                        continue  # the device power-cycled under us: initialise it again
            except DeviceError as err:
                offline_reason = str(err)
            finally:
                await self._link.disconnect()
            if self._online:
                self._online = False
                log.warning("%s: offline: %s", self.name, offline_reason)
                self._emit(DeviceOffline(self.name, reason=offline_reason))
            delay = backoff.next_delay()
            self.last_progress = time.monotonic() + delay
            await asyncio.sleep(delay)

    # -- wire ----------------------------------------------------------------------------------

    async def _exchange(self, cmd: int, data: bytes = b"", *, expect: Collection[int] | None = None,
                        reply: bool = True) -> Frame | None:
        """Send one frame and wait for a matching reply, retrying; raises DeviceUnavailable."""
        async with self._link.lock:
            raw = build_frame(cmd, data)
            if not reply:
                await self._link.send(raw)
                return None
            accept = None if expect is None else (lambda frame: frame.cmd in expect)
            return await self._link.request(raw, cmd, within=self.reply_timeout, retries=RETRIES,
                                            accept=accept)

    async def _send_setting(self, cmd: int, data: bytes) -> None:
        frame = await self._exchange(cmd, data, expect={cmd, Status.INVALID_COMMAND})
        if frame.cmd != cmd or frame.data != data:
            raise ProtocolError(f"{self.name}: setting 0x{cmd:02x} {data.hex()} not echoed: "
                                f"{describe(frame)}")

    async def _operation(self, cmd: int) -> None:
        if not self._online or not self._link.connected:
            raise DeviceUnavailable(f"{self.name}: offline, cannot send 0x{cmd:02x}")
        frame = await self._exchange(cmd, expect={ACK_REPLY, Status.INVALID_COMMAND})
        if frame.cmd != ACK_REPLY:
            raise ProtocolError(f"{self.name}: 0x{cmd:02x} refused: {describe(frame)}")

    async def _status(self) -> Frame:
        return await self._exchange(Cmd.STATUS_REQUEST, expect=_STATUSES)

    # -- protocol ------------------------------------------------------------------------------

    async def _initialise(self, commit_credit: CreditCommit) -> None:
        # Status BEFORE any RESET: a reset past STACK can finish stacking silently, so a note
        # in flight is credited from what the device says now (README, "Notes for kioskd").
        first = await self._status()
        # A note caught STACKING is past the point of no return: a RESET now would stack it
        # with no VEND VALID ever reaching us. Poll until the device says where it went.
        waited = 0
        while first.cmd in _SETTLING and waited < _SETTLE_POLLS:
            await asyncio.sleep(self.poll_interval)
            first, waited = await self._status(), waited + 1
        if first.cmd in _IN_STACKER:
            log.warning("%s: note in flight found in the box (%s)", self.name, describe(first))
            await commit_credit(NoteCredited(self.name, value=None))
            if first.cmd == Status.VEND_VALID:
                await self._exchange(Cmd.ACK, reply=False)
            if first.cmd == Status.POWER_UP_BILL_IN_STACKER:
                self._emit(PowerUpWithBill(self.name, "stacker"))
        elif first.cmd == Status.POWER_UP_BILL_IN_ACCEPTOR:
            self._emit(PowerUpWithBill(self.name, "acceptor"))  # RESET hands it back
        elif first.cmd == Status.ESCROW:
            log.warning("%s: note in escrow at start-up; the reset returns it", self.name)
        await self._operation_raw(Cmd.RESET)
        table = await self._exchange(Cmd.CURRENCY_ASSIGN, expect={Cmd.CURRENCY_ASSIGN})
        self._table = parse_currency_table(table.data)
        off = {e.code for e in self._table if self._wanted is not None
               and e.value_fen not in self._wanted}
        await self._send_setting(Cmd.SET_DENOMINATION, denomination_mask(off))
        await self._send_setting(Cmd.SET_INHIBIT, b"\x00" if self._accepting else b"\x01")
        self._last, self._escrow_value, self._credited = -1, None, False

    async def _operation_raw(self, cmd: int) -> None:
        frame = await self._exchange(cmd, expect={ACK_REPLY, Status.INVALID_COMMAND})
        if frame.cmd != ACK_REPLY:
            raise ProtocolError(f"{self.name}: 0x{cmd:02x} refused: {describe(frame)}")

    async def _poll_forever(self, commit_credit: CreditCommit) -> None:
        while True:
            frame = await self._status()
            if frame.cmd in (Status.POWER_UP, Status.POWER_UP_BILL_IN_ACCEPTOR,
                             Status.POWER_UP_BILL_IN_STACKER):
                log.warning("%s: device restarted (%s); re-initialising", self.name,
                            describe(frame))
                raise _Restarted(frame)
            await self._on_status(frame, commit_credit)
            self.last_progress = time.monotonic()
            # a note on the move, and a device enabled for a customer at the cash step (who may
            # insert a note any moment), are followed closely so software never slows the note
            # path; an inhibited device is polled at the configured rate
            await self._pause(frame.cmd)

    async def _pause(self, status: int) -> None:
        """Wait until the next poll is due, or until the host changed the device (see _wake)."""
        await pause(self._wake, self.poll_interval, fast=self._accepting or status in _MOVING)

    async def _on_status(self, frame: Frame, commit_credit: CreditCommit) -> None:
        s, data, last = frame.cmd, frame.data, self._last
        if s != Status.VEND_VALID:
            self._credited = False
        if s == Status.ESCROW and last != Status.ESCROW:
            code = data[0] if data else -1
            entry = next((e for e in self._table if e.code == code), None)
            if entry is None or not self._accepting:
                # not a note we take, or inhibited: nobody will decide on it (a killed host's leftover)
                log.warning("%s: escrow code 0x%02x while %s; returning it", self.name, code,
                            "inhibited" if entry else "not in the table")
                self._last = s
                await self._exchange(Cmd.RETURN, expect={ACK_REPLY, Status.INVALID_COMMAND})
                return
            self._escrow_value = entry.value_fen
            self._emit(NoteEscrowed(self.name, entry.value_fen))
        elif s == Status.VEND_VALID:
            if not self._credited:
                try:
                    await commit_credit(NoteCredited(self.name, self._escrow_value))
                except Exception:
                    # No ACK: the device repeats VEND VALID and the next poll retries the commit.
                    log.exception("%s: credit commit failed; not acknowledging", self.name)
                    self._last = s
                    return
                self._credited = True
            await self._exchange(Cmd.ACK, reply=False)
            self._wake.set()  # the ACK completes the note: the next poll says STACKED
        elif s == Status.STACKED and last != Status.STACKED:
            self._emit(NoteStacked(self.name, self._escrow_value or 0))
            self._escrow_value = None
        elif s == Status.REJECTING and last != Status.REJECTING:
            code = data[0] if data else None
            reason = REJECT_REASONS.get(code, f"unknown 0x{code:02x}" if code is not None else "")
            self._emit(NoteRejected(self.name, reason, code))
        elif s == Status.RETURNING and last != Status.RETURNING:
            self._emit(NoteReturned(self.name, self._escrow_value))
            self._escrow_value = None
        self._edges.update_status(_CONDITIONS, s, data)  # jams, stacker full/open, faults
        self._last = s

    def _emit(self, event: DeviceEvent) -> None:
        try:
            self._sink(event)
        except Exception:  # a broken sink must not stop the polling that guards the money
            log.exception("%s: event sink failed on %r", self.name, event)


class _Restarted(DeviceError):
    """The device reported a power-up while we were polling; re-initialise."""

    def __init__(self, frame: Frame) -> None:
        super().__init__(f"device restarted ({describe(frame)})")
