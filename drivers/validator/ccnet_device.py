"""CashCode CCNET bill validator driver: asyncio, polled, credit committed before STACKED is ACKed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Unpack

from drivers.base import (
    CreditCommit,
    NoteCredited,
    NoteEscrowed,
    NoteRejected,
    NoteReturned,
    NoteStacked,
    PowerUpWithBill,
)
from drivers.errors import DeviceError, DeviceUnavailable, ProtocolError
from drivers.validator.ccnet import (
    FAILURE_CODES,
    ILLEGAL_COMMAND,
    INHIBIT_REJECTS,
    REJECT_REASONS,
    BillType,
    CcnetParser,
    Cmd,
    Frame,
    Identification,
    State,
    build_frame,
    describe,
    enable_data,
    parse_bill_table,
    parse_identification,
)
from drivers.validator.conditions import StatusTable
from drivers.validator.link import RETRIES, SerialLink
from drivers.validator.supervise import Restarted, Settings, Supervised

log = logging.getLogger(__name__)

SETTLE = 5.0  # seconds to wait at start-up for a note on its way into the box to get there
_ACK = build_frame(Cmd.ACK)
_NAK = build_frame(Cmd.NAK)
_BAD = -2  # queued by the read loop when a frame with a bad CRC arrived (and nothing else)
_COMMAND_REPLIES = frozenset({Cmd.ACK, Cmd.NAK, ILLEGAL_COMMAND, _BAD})  # what answers a command
_POWER_UP = (State.POWER_UP, State.POWER_UP_BILL_IN_VALIDATOR, State.POWER_UP_BILL_IN_STACKER)
_ESCROWED = (State.ESCROW, State.HOLDING)
# States of a note between slot and box (or back): polled every FAST_POLL seconds (link.pause).
_MOVING = frozenset({State.ACCEPTING, State.ESCROW, State.HOLDING, State.STACKING, State.STACKED,
                     State.RETURNING, State.RETURNED, State.REJECTING})
_JAMS: dict[int, str] = {State.VALIDATOR_JAMMED: "acceptor", State.CASSETTE_JAMMED: "stacker"}
_FAULTS: dict[int, str] = {State.CHEATED: "cheated", State.PAUSE: "pause", State.FAILURE: "failure"}
_CONDITIONS = StatusTable(jams=_JAMS, full=State.CASSETTE_FULL, open=State.CASSETTE_OUT, faults=_FAULTS,
                          failure=State.FAILURE, failure_codes=FAILURE_CODES)


class CcnetValidator(Supervised[Frame]):
    """A CashCode CCNET validator (address 03) on a serial port, 9600 8N1."""

    def __init__(self, port: str, *, hold_interval: float = 5.0, **settings: Unpack[Settings]) -> None:
        super().__init__(port, log=log, after_initialise=self._reapply, **settings)
        # The validator returns a note left 10 s in escrow without a command (CCNET HOLD):
        # re-send HOLD this often while the machine decides.
        self.hold_interval = hold_interval
        self.identification: Identification | None = None  # what the device said it is
        self._table: tuple[BillType, ...] = ()
        self._applied = False  # what the device was last told
        self._last = -1  # last state seen
        self._escrow_value: int | None = None
        self._decided = False  # the machine sent STACK/RETURN for the note in escrow
        self._last_hold = 0.0  # loop time of the escrow's start or of the latest HOLD
        self._credited = False  # the current STACKED was committed (re-ACK, never re-credit)
        self._announced = False  # NoteStacked emitted for the current STACKED

    def _new_link(self, log: logging.Logger) -> SerialLink[Frame]:
        return SerialLink[Frame](self.port, name=self.name, log=log, parser=CcnetParser, baudrate=self.baudrate,
                                 parity="N", feed=self._feed)

    # -- public API ----------------------------------------------------------------------------

    def denominations(self) -> tuple[int, ...]:
        """Note values (fen) from the device's bill table, restricted to the configured ones."""
        return tuple(sorted({t.value_fen for t in self._accepted_types()}))

    async def _apply_accepting(self, enabled: bool) -> None:
        """ENABLE BILL TYPES: every wanted type, or none."""
        await self._command(Cmd.ENABLE_BILL_TYPES, self._enable_data())
        self._applied = enabled

    async def stack(self) -> None:
        """Send STACK for the note in escrow; raises DeviceError if the device refuses."""
        self._decided = True
        await self._operation(Cmd.STACK)
        self.supervisor.wake()  # the note is on its way in: follow it now

    async def return_note(self) -> None:
        """Send RETURN for the note in escrow; raises DeviceError if the device refuses."""
        self._decided = True
        await self._operation(Cmd.RETURN)
        self.supervisor.wake()  # the note is on its way back: follow it now

    async def _reapply(self) -> None:
        if self._applied != self._accepting:  # changed while we initialised
            await self.set_accepting(self._accepting)

    # -- wire ----------------------------------------------------------------------------------

    def _feed(self, chunk: bytes) -> list[Frame]:
        """The frames in `chunk`; a bad-CRC frame alone becomes a _BAD frame, for the NAK."""
        parser = self._link.parser
        bad = parser.bad_frames
        frames = list(parser.feed(chunk))
        if parser.bad_frames != bad and not frames:
            frames.append(Frame(_BAD))  # the exchange NAKs it
        return frames

    async def _exchange(self, cmd: int, data: bytes = b"",
                        accept: Callable[[Frame], bool] | None = None) -> Frame:
        """Send one command (lock held) and return the reply `accept` takes (the others are late
        replies of an earlier request, dropped); NAK bad replies, retry, or raise."""
        raw = build_frame(cmd, data)
        self._link.drop_stale()  # stale replies of an earlier timed-out request
        send, bad = raw, 0
        for _ in range(RETRIES):
            await self._link.write(send)
            frame = await self._link.reply(self.reply_timeout, accept)
            if frame is None:
                self._link.parser.reset()
                send = raw  # nothing came back: ask again
            elif frame.cmd == _BAD:
                bad += 1
                send = _NAK  # the reply was garbled: the device repeats it on our NAK
            elif frame.cmd == Cmd.NAK and not frame.data:
                send = raw  # the device could not read our frame
            else:
                return frame
        why = f"{bad} bad frames" if bad else "no reply"
        raise DeviceUnavailable(f"{self.name}: {why} to 0x{cmd:02x} after {RETRIES} tries",
                                cause="garbled" if bad else "no_reply")

    async def _command(self, cmd: int, data: bytes = b"") -> None:
        """A command the device answers with ACK; raises ProtocolError when it refuses."""
        async with self._link.lock:
            # a state frame here is the late reply of a retried POLL (CCNET has no request ids)
            frame = await self._exchange(cmd, data, accept=lambda f: f.cmd in _COMMAND_REPLIES)
        if frame.cmd != Cmd.ACK or frame.data:
            what = "illegal command" if frame.cmd == ILLEGAL_COMMAND else describe(frame)
            raise ProtocolError(f"{self.name}: 0x{cmd:02x} refused: {what}")

    async def _request(self, cmd: int) -> Frame:
        """A command the device answers with data; the data reply is ACKed."""
        async with self._link.lock:
            frame = await self._exchange(cmd)
            await self._link.write(_ACK)
        return frame

    async def _operation(self, cmd: int) -> None:
        if not self.supervisor.online or not self._link.connected:
            raise DeviceUnavailable(f"{self.name}: offline, cannot send 0x{cmd:02x}")
        await self._command(cmd)

    async def _poll(self, commit_credit: CreditCommit, *, in_flight: bool = False) -> Frame:
        """POLL; a STACKED reply is committed before it is ACKed (invariant 2), others at once."""
        async with self._link.lock:
            frame = await self._exchange(Cmd.POLL)
            if frame.cmd != State.STACKED:
                self._credited = self._announced = False
            elif not self._credited:
                # value None: a note found stacked at start-up; the journal knows its value
                value = None if in_flight else self._value_of(frame, self._escrow_value)
                try:
                    await commit_credit(NoteCredited(self.name, value))
                except Exception:
                    # No ACK: the device repeats STACKED and the next poll retries the commit.
                    log.exception("%s: credit commit failed; not acknowledging", self.name)
                    return frame
                self._credited = True
            await self._link.write(_ACK)
        if self._credited:
            self.supervisor.wake()  # STACKED committed and ACKed: the device moves on, follow it now
        return frame

    # -- protocol ------------------------------------------------------------------------------

    def _accepted_types(self) -> list[BillType]:
        return [t for t in self._table if self._wanted is None or t.value_fen in self._wanted]

    def _enable_data(self) -> bytes:
        if not self._accepting:
            return bytes(6)
        types = [t.index for t in self._accepted_types()]
        return enable_data(types, types)  # every enabled type stops in escrow for the machine

    def _value_of(self, frame: Frame, fallback: int | None) -> int | None:
        index = frame.data[0] if frame.data else -1
        entry = next((t for t in self._table if t.index == index), None)
        return entry.value_fen if entry is not None else fallback

    def online_detail(self) -> str:
        """What DeviceOnline says."""
        return f"CCNET at {self.port}"

    async def initialise(self, commit_credit: CreditCommit) -> None:
        """Settle a note in flight (POLL before any RESET), reset, identify, read the table, enable."""
        # POLL before any RESET: a reset past STACK can finish stacking silently, so a note in
        # flight is credited from what the device says now (README, "Notes for kioskd").
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE
        first = await self._poll(commit_credit, in_flight=True)
        while first.cmd in (State.STACKING, State.CASSETTE_JAMMED) and loop.time() < deadline:
            await asyncio.sleep(self.poll_interval)  # let the note reach the box first
            first = await self._poll(commit_credit, in_flight=True)
        if first.cmd == State.STACKED:
            if not self._credited:  # a RESET now would lose the only report of this note
                raise _CommitFailed("credit of a note in flight not committed")
            log.warning("%s: note in flight found stacked (%s)", self.name, describe(first))
        elif first.cmd in (State.POWER_UP_BILL_IN_STACKER, State.CASSETTE_JAMMED):
            # Past the point of no return; the RESET finishes stacking it.
            log.warning("%s: note in flight in the stacker (%s)", self.name, describe(first))
            try:
                await commit_credit(NoteCredited(self.name, value=None))
            except Exception as err:  # no RESET until it is committed: retry after a backoff
                raise _CommitFailed(f"credit of a note in flight not committed: {err}") from err
            if first.cmd == State.POWER_UP_BILL_IN_STACKER:
                self._emit(PowerUpWithBill(self.name, "stacker"))
        elif first.cmd == State.POWER_UP_BILL_IN_VALIDATOR:
            self._emit(PowerUpWithBill(self.name, "acceptor"))  # RESET hands it back
        elif first.cmd in _ESCROWED:
            log.warning("%s: note in escrow at start-up; the reset returns it", self.name)
        await self._command(Cmd.RESET)
        deadline = loop.time() + SETTLE
        state = await self._poll(commit_credit)
        while state.cmd in (State.INITIALIZE, State.BUSY, *_POWER_UP) and loop.time() < deadline:
            await asyncio.sleep(self.poll_interval)
            state = await self._poll(commit_credit)
        ident = await self._request(Cmd.IDENTIFICATION)
        self.identification = parse_identification(ident.payload)
        table = await self._request(Cmd.GET_BILL_TABLE)
        self._table = parse_bill_table(table.payload)
        log.info("%s: %s serial %s, bill table %s", self.name, self.identification.part,
                 self.identification.serial,
                 ", ".join(f"{t.index}:{t.value_fen}fen {t.country}" for t in self._table))
        accepting = self._accepting
        await self._command(Cmd.ENABLE_BILL_TYPES, self._enable_data())
        self._applied = accepting
        self._last, self._escrow_value, self._decided = -1, None, False
        self._credited = self._announced = False

    async def poll_once(self, commit_credit: CreditCommit) -> bool:
        """POLL and its handling; fast next while enabled or a note is moving."""
        frame = await self._poll(commit_credit)
        if frame.cmd in _POWER_UP:
            log.warning("%s: device restarted (%s); re-initialising", self.name, describe(frame))
            raise Restarted(f"device restarted ({describe(frame)})")
        await self._on_state(frame)
        return self._accepting or frame.cmd in _MOVING

    async def _on_state(self, frame: Frame) -> None:
        s, data, last = frame.cmd, frame.data, self._last
        self._last = s
        if s == State.ESCROW and last not in _ESCROWED:
            value = self._value_of(frame, None)
            self._last_hold = asyncio.get_running_loop().time()
            if value is None or (self._wanted is not None and value not in self._wanted):
                log.warning("%s: escrow of unknown bill type %s; returning it", self.name, data.hex())
                self._decided = True
                await self._command(Cmd.RETURN)
                return
            if not self._accepting:  # inhibited: nobody will decide on it (a killed host's leftover)
                log.warning("%s: note of %d fen in escrow while inhibited; returning it", self.name, value)
                self._decided = True
                await self._command(Cmd.RETURN)
                return
            self._escrow_value, self._decided = value, False
            self._emit(NoteEscrowed(self.name, value))
        elif s in _ESCROWED and not self._decided:
            now = asyncio.get_running_loop().time()
            if now - self._last_hold >= self.hold_interval:
                self._last_hold = now
                try:
                    await self._command(Cmd.HOLD)
                except ProtocolError as err:  # the machine's STACK/RETURN got there first
                    log.debug("%s: HOLD refused: %s", self.name, err)
        elif s == State.STACKED and self._credited and not self._announced:
            self._announced = True
            self._emit(NoteStacked(self.name, self._value_of(frame, self._escrow_value) or 0))
            self._escrow_value = None
        elif s == State.RETURNED and last != State.RETURNED:
            self._emit(NoteReturned(self.name, self._value_of(frame, self._escrow_value)))
            self._escrow_value = None
        elif s == State.REJECTING and last != State.REJECTING:
            why = data[0] if data else None
            reason = REJECT_REASONS.get(why, f"unknown 0x{why:02x}") if why is not None else ""
            self._emit(NoteRejected(self.name, reason, why, inhibited=why in INHIBIT_REJECTS))
        self._edges.update_status(_CONDITIONS, s, data)  # jams, cassette full/out, faults


class _CommitFailed(DeviceError):
    """The journal refused a note found in flight at start-up; start again without a RESET."""
