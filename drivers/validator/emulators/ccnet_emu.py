"""A CashCode CCNET validator emulator on a pty: the real wire protocol, a CNY table, fault switches.

In-process: ``emu = CcnetEmulator(); await emu.start(); CcnetValidator(emu.port)``; pass
``link=PATH`` to keep one path across ``reopen_port()`` (a new pty each time).
The emulator is the peripheral: it answers every host frame with ACK (00), NAK (FF, bad CRC),
ILLEGAL COMMAND (30) or a data reply, repeats its last reply when the host NAKs it, and keeps
reporting an event state (0x81 stacked, 0x82 returned) until the host ACKs that reply.
"""

from __future__ import annotations

import time

from drivers.validator.ccnet import (
    ILLEGAL_COMMAND,
    BillType,
    CcnetParser,
    Cmd,
    Frame,
    Identification,
    State,
    build_frame,
    encode_bill_table,
    type_mask,
    types_in_mask,
)
from drivers.validator.emulators.pty_device import COMMON_FAULTS, COUNTERFEIT, PtyDevice

# CNY notes 1, 5, 10, 20, 50, 100 yuan as digits * 10**power; types 0 and 1 left empty on
# purpose so a driver that assumes "type n = n-th note" misprices here.
CNY_TABLE = (
    BillType(2, 1, "CHN", 0),
    BillType(3, 5, "CHN", 0),
    BillType(4, 1, "CHN", 1),
    BillType(5, 2, "CHN", 1),
    BillType(6, 5, "CHN", 1),
    BillType(7, 1, "CHN", 2),
)
FAULTS = COMMON_FAULTS | {"failure"}
FAILURE_CODE = 0x50  # what the "failure" switch reports: stack motor
IDENTITY = Identification("KIOSKD-EMU-CN", "000000000001", b"\x00\x00\x00\x00\x00\x00\x01")
_TRANSIENT = {State.ACCEPTING, State.STACKING, State.REJECTING, State.RETURNING, State.INITIALIZE}
# at rest: the state says only what the fault switches and the enable say
_RESTING = (State.IDLING, State.DISABLED, State.CASSETTE_FULL, State.CASSETTE_OUT, State.FAILURE)
_ESCROWED = (State.ESCROW, State.HOLDING)
_EVENTS = (State.STACKED, State.RETURNED)  # repeated until the host ACKs them
_POWER_UP = (State.POWER_UP, State.POWER_UP_BILL_IN_VALIDATOR, State.POWER_UP_BILL_IN_STACKER)


class CcnetEmulator(PtyDevice):
    """A CCNET bill validator on a pty pair; `port` is the path the driver opens."""

    device_name = "ccnet emulator"
    _notes_fen = frozenset(t.value_fen for t in CNY_TABLE)
    # the driver's NoteRejected (reason, code) for a denomination not enabled and for a counterfeit
    refusals = {"inhibited": ("inhibited", 0x68), "counterfeit": ("verification", 0x66)}

    def __init__(
        self, delay: float = 0.0, *, link: str | None = None, escrow_timeout: float = 10.0,
        seed: int = 0,
    ) -> None:
        super().__init__(FAULTS, link=link, seed=seed)
        self.delay = delay  # seconds each transient state lasts
        self.escrow_timeout = escrow_timeout  # a note left in escrow this long is returned
        self.stacked: list[int] = []  # the emulator's own count: notes that reached the box
        self.returned: list[int] = []  # notes handed back from escrow / acceptor
        self.rejected: list[int] = []  # notes refused (counterfeit = -1)
        self.ack_times: list[int] = []  # monotonic_ns of each host ACK of a STACKED (0x81) reply
        self.holds = 0  # HOLD commands taken
        self.naks_sent = 0  # host frames refused for a bad CRC
        self.corrupt_next = 0  # garble the CRC of this many next replies (a burst of line noise)
        self._last_reply = b""
        self._power_up()
        self._state: int = State.POWER_UP

    def _new_parser(self) -> CcnetParser:
        return CcnetParser()

    # -- the customer and the technician -----------------------------------------------------

    @property
    def status(self) -> int:
        """The current state code."""
        return self._state

    @property
    def accepting(self) -> bool:
        """True when the host has enabled at least one bill type."""
        return bool(self._enabled)

    # -- device model ------------------------------------------------------------------------

    def _power_up(self) -> None:
        self._enabled: frozenset[int] = frozenset()
        self._escrow: frozenset[int] = frozenset()
        self._note: int | None = None  # value of the note in the path
        self._data = b""
        self._entered = time.monotonic()

    def _power_on(self) -> None:
        note, state = self._note, self._state
        self._power_up()
        if state in (State.STACKING, State.CASSETTE_JAMMED) and note:
            self._stack_note(note)
            self._state = State.POWER_UP_BILL_IN_STACKER
        elif state == State.STACKED:
            # Already in the box and counted, but its STACKED event was never ACKed.
            self._state = State.POWER_UP_BILL_IN_STACKER
        elif state in (State.ACCEPTING, *_ESCROWED, State.VALIDATOR_JAMMED) and note:
            self._note = note
            self._state = State.POWER_UP_BILL_IN_VALIDATOR
        else:
            self._state = State.POWER_UP

    def _set(self, state: int, data: bytes = b"") -> None:
        self._state, self._data = state, data
        self._entered = time.monotonic()

    def _stack_note(self, value: int) -> None:
        self.stacked.append(value)

    def _type_for(self, value: int) -> int:
        return next(t.index for t in CNY_TABLE if t.value_fen == value)

    def _idle_state(self) -> int:
        if self.faults["failure"]:
            return State.FAILURE
        if self.faults["box_removed"]:
            return State.CASSETTE_OUT
        if self.faults["stacker_full"]:
            return State.CASSETTE_FULL
        return State.IDLING if self._enabled else State.DISABLED

    def _go_idle(self) -> None:
        idle = self._idle_state()
        self._set(idle, bytes((FAILURE_CODE,)) if idle == State.FAILURE else b"")

    def set_fault(self, name: str, on: bool) -> None:
        """Switch a fault; a resting device shows a lasting condition (full, box out, failure) and
        its end in its very next POLL reply, as its sensors would."""
        super().set_fault(name, on)
        if self._state in _RESTING and self._idle_state() != self._state:
            self._go_idle()

    def _advance(self) -> None:
        """Move one step after a POLL reply, once the state has been held `delay` seconds."""
        s = self._state
        held = time.monotonic() - self._entered
        if s in _TRANSIENT and held < self.delay:
            return
        if s == State.INITIALIZE or s in _RESTING:
            idle = self._idle_state()
            if idle == State.IDLING and self._queue:
                self._note = self._queue.popleft()
                self._set(State.ACCEPTING)
            elif idle != s:
                self._go_idle()
        elif s == State.ACCEPTING:
            note = self._held()
            if self.faults["jam_acceptor"]:
                self._set(State.VALIDATOR_JAMMED)
            elif note == COUNTERFEIT:
                self._set(State.REJECTING, b"\x66")
            elif self._type_for(note) not in self._enabled:
                self._set(State.REJECTING, b"\x68")
            elif self._type_for(note) in self._escrow:
                self._set(State.ESCROW, bytes((self._type_for(note),)))
            else:
                self._set(State.STACKING)  # no escrow asked for this type: straight to the box
        elif s in _ESCROWED and held >= self.escrow_timeout:
            self._set(State.RETURNING)  # nobody decided within the escrow time-out
        elif s == State.VALIDATOR_JAMMED and not self.faults["jam_acceptor"]:
            self._set(State.RETURNING)
        elif s == State.STACKING and self.faults["stall_stacking"]:
            pass  # held: STACKING in every reply, as long as the switch is on
        elif s == State.STACKING:
            if self.faults["jam_stacking"]:
                self._set(State.CASSETTE_JAMMED)
            else:
                self._into_box()
        elif s == State.CASSETTE_JAMMED and not self.faults["jam_stacking"]:
            self._into_box()
        elif s == State.REJECTING:
            self.rejected.append(self._held())
            self._note = None
            self._go_idle()
        elif s == State.RETURNING:
            self.returned.append(self._held())
            self._set(State.RETURNED, bytes((self._type_for(self._held()),)))
            self._note = None

    def _into_box(self) -> None:
        self._stack_note(self._held())
        self._set(State.STACKED, bytes((self._type_for(self._held()),)))
        self._note = None

    def _handle(self, frame: Frame) -> bytes | None:
        """The reply to one host frame (None: no reply)."""
        cmd, data = frame.cmd, frame.data
        s = self._state
        if cmd == Cmd.ACK:  # the host's ACK gets no reply
            if s in _EVENTS and self._last_reply[3:4] == bytes((s,)):
                if s == State.STACKED:
                    self.ack_times.append(time.monotonic_ns())
                self._go_idle()
            return None
        if cmd == Cmd.NAK:
            return self._last_reply or None  # the host missed our reply: send it again
        if cmd == Cmd.POLL:
            reply = build_frame(s, self._data)
            if s not in _EVENTS:
                self._advance()
            return reply
        if cmd == Cmd.RESET:
            self._reset()
            return build_frame(Cmd.ACK)
        if cmd == Cmd.GET_STATUS:
            return self._status_reply()
        if cmd == Cmd.IDENTIFICATION:
            payload = IDENTITY.encode()
            return build_frame(payload[0], payload[1:])
        if cmd == Cmd.GET_BILL_TABLE:
            payload = encode_bill_table(CNY_TABLE)
            return build_frame(payload[0], payload[1:])
        if cmd == Cmd.SET_SECURITY and len(data) == 3:
            return build_frame(Cmd.ACK)
        if cmd == Cmd.ENABLE_BILL_TYPES and len(data) == 6:
            self._enabled, self._escrow = types_in_mask(data[:3]), types_in_mask(data[3:])
            return build_frame(Cmd.ACK)
        if s in _ESCROWED and cmd == Cmd.STACK:
            self._set(State.STACKING)
            return build_frame(Cmd.ACK)
        if s in _ESCROWED and cmd == Cmd.RETURN:
            self._set(State.RETURNING)
            return build_frame(Cmd.ACK)
        if s in _ESCROWED and cmd == Cmd.HOLD:
            self.holds += 1
            self._set(State.HOLDING)  # restarts the escrow time-out
            return build_frame(Cmd.ACK)
        return build_frame(ILLEGAL_COMMAND)

    def _status_reply(self) -> bytes:
        payload = type_mask(self._enabled) + type_mask(self._enabled)  # security on for all
        return build_frame(payload[0], payload[1:])

    def _reset(self) -> None:
        s, note = self._state, self._note
        # A reset past STACK finishes stacking without a STACKED event reaching the host.
        if note is not None and s in (State.STACKING, State.CASSETTE_JAMMED):
            self._stack_note(note)
        elif note is not None and note != COUNTERFEIT and s != State.REJECTING:
            self.returned.append(note)
        elif note is not None:
            self.rejected.append(note)
        self._power_up()
        self._set(State.INITIALIZE)

    # -- pty I/O -----------------------------------------------------------------------------

    def _received(self, chunk: bytes) -> None:
        bad = self._parser.bad_frames
        frames = self._parser.feed(chunk)
        if self._muted:
            return
        replies = []
        if self._parser.bad_frames != bad:
            self.naks_sent += 1
            replies.append(build_frame(Cmd.NAK))  # the host resends what we could not read
        for frame in frames:
            reply = self._handle(frame)
            if reply is None:
                continue
            if reply[3] != Cmd.NAK:
                self._last_reply = reply
            replies.append(reply)
        for reply in replies:
            corrupt = self.faults["bad_crc"] or self.corrupt_next > 0
            if corrupt:
                self.corrupt_next -= 1
            self._write(self._damage(reply, corrupt=corrupt))
