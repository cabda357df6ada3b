"""A ccTalk bill validator (address 40) on a pty: the real wire protocol, CNY bills, fault switches.

``emu = CctalkEmulator(); await emu.start(); CctalkValidator(emu.port)``. Like the single ccTalk
wire, every byte the host sends comes back to it (the echo) before the reply. The device model
moves on after each 159/254 poll once a state has been held `delay` seconds.
"""

from __future__ import annotations

import time
from collections import deque

from drivers.validator.cctalk import (
    BILL_VALIDATOR,
    HOST,
    BillId,
    CctalkParser,
    Frame,
    Header,
    Route,
    Scaling,
    build_frame,
    enabled_by_mask,
    encode_event_block,
    next_counter,
)
from drivers.validator.emulators.pty_device import COMMON_FAULTS, COUNTERFEIT, PtyDevice

# Bill types 1..6: CNY 1, 5, 10, 20, 50, 100 yuan, in units the "CN" scaling turns into fen.
CNY_BILLS: dict[int, BillId] = {
    1: BillId("CN", 1, "A"),
    2: BillId("CN", 5, "A"),
    3: BillId("CN", 10, "A"),
    4: BillId("CN", 20, "A"),
    5: BillId("CN", 50, "A"),
    6: BillId("CN", 100, "A"),
}
CNY_SCALING = Scaling(100, 2)  # VVVV * 100 at 2 decimal places: fen
FAULTS = COMMON_FAULTS
SELF_DISABLE_AFTER = 5.0  # seconds unpolled before the device sets master inhibit by itself
_TRANSIENT = {"accepting", "stacking", "returning"}


class CctalkEmulator(PtyDevice):
    """A ccTalk bill validator on a pty pair; `port` is the path the driver opens."""

    device_name = "cctalk emulator"
    _notes_fen = frozenset(b.value * CNY_SCALING.factor for b in CNY_BILLS.values())
    # the driver's NoteRejected (reason, code) for a denomination not enabled and for a counterfeit
    refusals = {"inhibited": ("inhibited bill (on serial)", 4), "counterfeit": ("invalid bill (validation fail)", 2)}
    variants = {"simple": {"checksum": "simple"}, "crc16": {"checksum": "crc16"}}  # settings the contract tests run the driver and emulator under

    def __init__(self, delay: float = 0.0, *, checksum: str = "simple", link: str | None = None,
                 seed: int = 0, escrow_timeout: float = 30.0) -> None:
        self.checksum = checksum  # before the base builds the parser, which needs it
        super().__init__(FAULTS, link=link, seed=seed)
        self.delay = delay
        self.escrow_timeout = escrow_timeout
        self.stacked: list[int] = []  # the emulator's own count: notes that reached the box
        self.returned: list[int] = []  # notes handed back from escrow / a cleared acceptor jam
        self.rejected: list[int] = []  # notes refused (counterfeit = -1)
        self.received: list[Frame] = []  # every host frame addressed to us, in order
        self.credit_times: list[int] = []  # monotonic_ns a credit event was first read out
        self.ack_times: list[int] = []  # monotonic_ns of the 159 read that acknowledged it
        self._last_rx = time.monotonic()
        self._box_reported = False  # "stacker removed" already in the buffer
        self._full_reported = False
        self._power_up()

    def _new_parser(self) -> CctalkParser:
        return CctalkParser(self.checksum, dests={BILL_VALIDATOR, 0})

    def _on_open(self) -> None:
        super()._on_open()
        self._last_rx = time.monotonic()

    # -- the customer and the technician -----------------------------------------------------

    def inject_event(self, a: int, b: int) -> None:
        """Put one event in the buffer as the device would (rare status codes, lost events)."""
        self._event(a, b)

    @staticmethod
    def values() -> dict[int, int]:
        """Note value (fen) -> bill type."""
        return {b.value * CNY_SCALING.factor: t for t, b in CNY_BILLS.items()}

    @property
    def accepting(self) -> bool:
        """True when the host has lifted the master inhibit."""
        return self._master_enabled

    @property
    def counter(self) -> int:
        """The event counter."""
        return self._counter

    @property
    def state(self) -> str:
        """Where the note path is: idle, accepting, escrow, stacking, returning, jam_*."""
        return self._state

    # -- device model ------------------------------------------------------------------------

    def _power_up(self) -> None:
        self._master_enabled = False
        self._mask: frozenset[int] = frozenset()
        self._mode = 0
        self._counter = 0
        self._events: deque[tuple[int, int]] = deque(maxlen=5)
        self._unread_credit = False  # a credit event not read out yet
        self._unacked_credit = False  # read out once, waiting for the next 159 read
        self._state = "idle"
        self._note: int | None = None
        self._entered = time.monotonic()

    def _power_on(self) -> None:
        note, state = self._note, self._state
        if note is not None and state in ("stacking", "jam_stacker"):
            self.stacked.append(note)  # the stacker finishes its stroke on power-up
        elif note is not None and note != COUNTERFEIT:
            self.returned.append(note)
        self._power_up()  # counter 0, buffer empty: the host sees the reset

    def _event(self, a: int, b: int) -> None:
        self._counter = next_counter(self._counter)
        self._events.appendleft((a, b))
        if a > 0 and b == 0:
            self._unread_credit = True

    def _set(self, state: str) -> None:
        self._state = state
        self._entered = time.monotonic()

    def _stack(self) -> None:
        value = self._held()
        self.stacked.append(value)
        self._event(self.values()[value], 0)
        self._note = None
        self._set("idle")

    def _advance(self) -> None:
        """Move one step, once the current state has been held `delay` seconds."""
        s = self._state
        now = time.monotonic()
        if s in _TRANSIENT and now - self._entered < self.delay:
            return
        if s == "idle":
            self._idle_step()
        elif s == "accepting":
            note = self._held()
            if self.faults["jam_acceptor"]:
                self._event(0, 6)
                self._set("jam_acceptor")
            elif not self._master_enabled:
                # Inhibited (228 0, or the 5 s self-disable) while the note was still being
                # validated: a real validator refuses it with "master inhibit active" (B = 0)
                # and hands it back; it never reaches an escrow nobody asked for.
                self.rejected.append(note)
                self._event(0, 0)
                self._note = None
                self._set("idle")
            elif note == COUNTERFEIT:
                self.rejected.append(note)
                self._event(0, 2)
                self._note = None
                self._set("idle")
            elif self.values()[note] not in self._mask:
                self.rejected.append(note)
                self._event(0, 4)
                self._note = None
                self._set("idle")
            elif self._mode & 0x03 == 0x03:
                self._event(self.values()[note], 1)
                self._set("escrow")
            else:
                self._set("stacking")  # no escrow: straight to the box
        elif s == "escrow" and now - self._entered > self.escrow_timeout:
            self._set("returning")
        elif s == "stacking" and self.faults["stall_stacking"]:
            pass  # held: no new event, as long as the switch is on
        elif s == "stacking":
            if self.faults["jam_stacking"]:
                self._event(0, 7)
                self._set("jam_stacker")
            else:
                self._stack()
        elif s == "jam_stacker" and not self.faults["jam_stacking"]:
            self._event(0, 22)
            self._stack()
        elif s == "jam_acceptor" and not self.faults["jam_acceptor"]:
            self._event(0, 22)
            self.returned.append(self._held())
            self._note = None
            self._set("idle")
        elif s == "returning":
            self.returned.append(self._held())
            self._event(0, 1)
            self._note = None
            self._set("idle")

    def _idle_step(self) -> None:
        removed, full = self.faults["box_removed"], self.faults["stacker_full"]
        if removed != self._box_reported:
            self._event(0, 11 if removed else 12)
            self._box_reported = removed
        if full != self._full_reported:
            self._event(0, 14 if full else 10)
            self._full_reported = full
        if self._master_enabled and not removed and not full and self._queue:
            self._note = self._queue.popleft()
            self._set("accepting")

    def _handle(self, frame: Frame) -> bytes | None:
        """The reply data to one host frame (None: NAK)."""
        h, data = frame.header, frame.data
        if h == Header.SIMPLE_POLL:
            self._advance()
            return b""
        if h == Header.READ_BUFFERED_BILL_EVENTS:
            now = time.monotonic_ns()
            # The next read after the one that carried a credit is the host's acknowledgement.
            if self._unacked_credit:
                self.ack_times.append(now)
                self._unacked_credit = False
            if self._unread_credit:
                self.credit_times.append(now)
                self._unread_credit, self._unacked_credit = False, True
            reply = encode_event_block(self._counter, tuple(self._events))
            self._advance()
            return reply
        if h == Header.MODIFY_MASTER_INHIBIT_STATUS and len(data) == 1:
            self._master_enabled = bool(data[0] & 1)
            return b""
        if h == Header.REQUEST_MASTER_INHIBIT_STATUS:
            return bytes((int(self._master_enabled),))
        if h == Header.MODIFY_INHIBIT_STATUS and len(data) == 2:
            self._mask = enabled_by_mask(data)
            return b""
        if h == Header.REQUEST_INHIBIT_STATUS:
            bits = sum(1 << (t - 1) for t in self._mask)
            return bytes((bits & 0xFF, bits >> 8))
        if h == Header.MODIFY_BILL_OPERATING_MODE and len(data) == 1:
            self._mode = data[0]
            return b""
        if h == Header.REQUEST_BILL_ID and len(data) == 1 and 1 <= data[0] <= 16:
            bill = CNY_BILLS.get(data[0])
            return bill.encode() if bill else b"......."
        if h == Header.REQUEST_COUNTRY_SCALING_FACTOR and len(data) == 2:
            return CNY_SCALING.encode() if data == b"CN" else b"\x00\x00\x00"
        if h == Header.ROUTE_BILL and len(data) == 1:
            return self._route(data[0])
        if h == Header.REQUEST_EQUIPMENT_CATEGORY_ID:
            return b"Bill Validator"
        if h == Header.RESET_DEVICE:
            self._power_on()
            return b""
        return None

    def _route(self, code: int) -> bytes:
        if self._state != "escrow":
            return b"\xfe"  # 254: escrow is empty
        if code == Route.STACK:
            self._set("stacking")
        elif code == Route.RETURN:
            self._set("returning")
        elif code == Route.EXTEND_ESCROW_TIMEOUT:
            self._entered = time.monotonic()
        else:
            return b"\xff"  # 255: failed to route
        return b""

    # -- pty I/O -----------------------------------------------------------------------------

    def _received(self, chunk: bytes) -> None:
        out = bytearray(chunk)  # the single wire: the host reads its own bytes back first
        for frame in self._parser.feed(chunk):
            if frame.dest not in (BILL_VALIDATOR, 0):
                continue
            now = time.monotonic()
            if self._muted:
                continue
            if now - self._last_rx > SELF_DISABLE_AFTER:
                self._master_enabled = False  # unpolled too long: disabled until 228 again
            self._last_rx = now
            self.received.append(frame)
            data = self._handle(frame)
            header = Header.NAK if data is None else Header.REPLY
            reply = build_frame(frame.src or HOST, BILL_VALIDATOR, header, data or b"", self.checksum)
            out += self._damage(reply)
        self._write(bytes(out))

    def _noise(self) -> bytes:
        return self._rng.randbytes(self._rng.randrange(1, 8))
