"""An ITL SSP (NV9/NV10/NV200) validator emulator on a pty: the real wire protocol, CNY channels, faults.

In-process: ``emu = SspEmulator(); await emu.start(); SspValidator(emu.port)``.
It keeps the sequence-flag rules (same flag -> repeat the last reply, SYNC resets), holds a note
in escrow until the next POLL (accept) or REJECT, rejects it after 10 s without a command, and with
POLL WITH ACK repeats NOTE CREDIT / NOTE CLEARED INTO CASHBOX until EVENT ACK. GET COUNTERS
reports notes stacked (counted when a note reaches the box, after its credit; kept across power
cycles) and notes rejected or returned.

eSSP: 4A / 4B / 4C negotiate a key (the slave side of drivers/validator/essp_crypto.py); an
encrypted command is answered encrypted, with the eCOUNT checked (a command whose count is not
the expected one is ignored, unanswered) and the reply carrying count + 1. A power cycle loses the
key: encrypted commands then get a plain KEY NOT SET. With ``encrypted=True`` POLL WITH ACK and
EVENT ACK are refused (KEY NOT SET) unless they come encrypted, as ITL marks them.

Older NV9 firmware: ``poll_with_ack=False, counters=False`` answers POLL WITH ACK, EVENT ACK and
GET COUNTERS as unknown commands. ``on_credit`` is called as a credit is reported, before the
reply goes out (the crash tests kill the host there).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from drivers.errors import ProtocolError
from drivers.validator.emulators.pty_device import COMMON_FAULTS, COUNTERFEIT, PtyDevice
from drivers.validator.essp_crypto import (
    DEFAULT_FIXED_KEY,
    STEX,
    EsspCipher,
    KeyExchange,
    aes_key,
    from_u64,
    is_prime,
    u64,
)
from drivers.validator.ssp import (
    Channel,
    Cmd,
    Counters,
    Ev,
    Event,
    Packet,
    Reply,
    Setup,
    SspParser,
    build_packet,
    enabled_by_mask,
    encode_counters,
    encode_events,
    encode_setup,
)

log = logging.getLogger(__name__)

# CNY 1, 5, 10, 20, 50, 100 yuan on channels 1-6; values in fen (channel value x multiplier 100).
CNY_CHANNELS = tuple(Channel(i + 1, "CNY", yuan * 100) for i, yuan in enumerate((1, 5, 10, 20, 50, 100)))
FAULTS = COMMON_FAULTS
ESCROW_TIMEOUT = 10.0  # seconds without a command before a held note is rejected (ITL "Hold")
CODE_COUNTERFEIT = 0x02  # average fail: not recognised
CODE_DISABLED_BY_HOST = 0x0C
CODE_BY_HOST = 0x08
CODE_ESCROW_TIMEOUT = 0x13
CODE_JAM_RETURNED = 0x15  # no cam activate: the note never reached the validation path
_TRANSIENT = {"reading", "stacking", "rejecting", "stacked", "credited"}


class SspEmulator(PtyDevice):
    """An SSP banknote validator on a pty pair; `port` is the path the driver opens."""

    device_name = "ssp emulator"
    _notes_fen = frozenset(c.value for c in CNY_CHANNELS)
    # the driver's NoteRejected (reason, code) for a denomination not enabled and for a counterfeit
    refusals = {"inhibited": ("disabled by host", 0x0C), "counterfeit": ("average fail", 0x02)}

    def __init__(self, delay: float = 0.0, *, link: str | None = None, poll_with_ack: bool = True,
                 seed: int = 0, encrypted: bool = False, counters: bool = True,
                 fixed_key: bytes = DEFAULT_FIXED_KEY) -> None:
        super().__init__(FAULTS, link=link, seed=seed)
        self.delay = delay
        self.encrypted = encrypted  # POLL WITH ACK / EVENT ACK only inside eSSP
        self.fixed_key = fixed_key
        self.negotiations = 0  # keys agreed with the host
        self.refused_counts: list[int] = []  # eCOUNTs of encrypted commands ignored as stale
        self.encrypted_replies: list[tuple[bytes, bytes]] = []  # (plain data, wrapped data)
        self.inject_reply: bytes | None = None  # one-shot: wrapped data sent instead (replay)
        self.poll_with_ack = poll_with_ack  # False: answers 0x56 "unknown command" (plain SSP)
        self.counters = counters  # False: answers GET COUNTERS "unknown command" (older firmware)
        self.on_credit: Callable[[], None] | None = None  # called as a credit is reported
        self.stacked: list[int] = []  # the emulator's own count: notes that reached the box
        # GET COUNTERS "stacked": non-volatile, so it survives power cycles; a test may start it
        # at a device's history (e.g. 4711) before the first note
        self.stacked_counter = 0
        self.serial = 1873452  # GET SERIAL NUMBER (4 bytes, big endian)
        self.returned: list[int] = []  # notes handed back (host reject, timeout, cleared jam)
        self.rejected: list[int] = []  # notes refused (counterfeit = -1, inhibited channel)
        self.ack_times: list[int] = []  # monotonic_ns when each credit was acknowledged
        self.commands: list[int] = []  # every command executed (not repeats), for tests
        self._power_on(note_fate=False)

    def _new_parser(self) -> SspParser:
        return SspParser()

    # -- the customer and the technician -----------------------------------------------------

    def _fault_cleared(self, name: str) -> None:
        super()._fault_cleared(name)
        if name == "box_removed":
            self._events.append(Event(Ev.CASHBOX_REPLACED))

    @property
    def accepting(self) -> bool:
        """True when the host has enabled the device and at least one channel."""
        return self._enabled and bool(self._channels_on)

    @property
    def state(self) -> str:
        """The note path's state: idle, reading, escrow, stacking, credited, jam_front, ..."""
        return self._state

    # -- device model ------------------------------------------------------------------------

    def _power_on(self, note_fate: bool = True) -> None:
        """Boot: disabled, channels inhibited, SLAVE RESET queued; a note in the path is cleared."""
        events = [Event(Ev.SLAVE_RESET)]
        unacked: list[Event] = []
        if note_fate and self._note not in (None, COUNTERFEIT):
            channel = self._channel_of(self._note)
            if self._state in ("stacking", "credited", "jam_stack", "stacked"):
                if self._state != "stacked":  # past the credit point: it goes on into the box
                    self._into_box(self._note)
                    cleared = Event(Ev.NOTE_CLEARED_INTO_CASHBOX, channel)
                    (unacked if self.poll_with_ack else events).append(cleared)
            else:
                self.returned.append(self._note)
                events.append(Event(Ev.NOTE_CLEARED_FROM_FRONT, channel))
        self._enabled = False
        self._channels_on: frozenset[int] = frozenset()
        self._protocol = 4
        self._last_seq: int | None = None
        self._last_reply: bytes | None = None
        self._events: list[Event] = events
        self._unacked: list[Event] = unacked
        self._note: int | None = None
        self._state: str = "idle"
        self._entered = time.monotonic()
        self._last_command = time.monotonic()
        self._reject_code = 0
        self._ack_pending_credit = False
        self._generator: int | None = None  # eSSP: a power cycle forgets the key
        self._modulus: int | None = None
        self._cipher: EsspCipher | None = None
        self._ecount = 0
        self._pending_key = None

    def _channel_of(self, value: int) -> int:
        return next(c.number for c in CNY_CHANNELS if c.value == value)

    def _set(self, state: str) -> None:
        self._state = state
        self._entered = time.monotonic()

    def _lasting(self) -> list[Event]:
        """Conditions repeated on every poll while they hold."""
        out = []
        if self._state == "jam_front":
            out.append(Event(Ev.UNSAFE_JAM))
        elif self._state == "jam_stack":
            out.append(Event(Ev.SAFE_JAM))
        if self.faults["box_removed"]:
            out.append(Event(Ev.CASHBOX_REMOVED))
        if self.faults["stacker_full"]:
            out.append(Event(Ev.STACKER_FULL))
        if not self._enabled:
            out.append(Event(Ev.DISABLED))
        return out

    def _reject(self, code: int, into: list[int]) -> None:
        self._reject_code = code
        self._reject_into = into
        self._events.append(Event(Ev.REJECTING))
        self._set("rejecting")

    def _advance(self) -> None:
        """One step of the note path, taken on each poll once a state was held `delay` seconds."""
        s = self._state
        if s in _TRANSIENT and time.monotonic() - self._entered < self.delay:
            return
        if s == "idle":
            blocked = self.faults["stacker_full"] or self.faults["box_removed"]
            if self.accepting and not blocked and self._queue:
                self._note = self._queue.popleft()
                self._events.append(Event(Ev.READ, 0))
                self._set("reading")
        elif s == "reading":
            note = self._held()
            if self.faults["jam_acceptor"]:
                self._set("jam_front")
            elif note == COUNTERFEIT:
                self._reject(CODE_COUNTERFEIT, self.rejected)
            elif self._channel_of(note) not in self._channels_on:
                self._reject(CODE_DISABLED_BY_HOST, self.rejected)
            else:
                self._events.append(Event(Ev.READ, self._channel_of(note)))
                self._set("escrow")
        elif s == "jam_front" and not self.faults["jam_acceptor"]:
            self._reject(CODE_JAM_RETURNED, self.returned)
        elif s == "stacking" and self.faults["stall_stacking"]:
            pass  # held: no event at all, as long as the switch is on
        elif s == "stacking":
            if self.faults["jam_stacking"]:
                self._set("jam_stack")
            else:
                self._credit()
        elif s == "jam_stack" and not self.faults["jam_stacking"]:
            # freed: the note moves on (a poll without SAFE JAM) before it is credited
            self._set("stacking")
        elif s == "credited" and not self._unacked:
            self._into_box(self._held())
            self._events.append(Event(Ev.STACKED))
            self._note = None
            self._set("idle")
        elif s == "rejecting":
            self._reject_into.append(self._held())
            self._events.append(Event(Ev.REJECTED))
            self._note = None
            self._set("idle")

    def _into_box(self, note: int) -> None:
        self.stacked.append(note)
        self.stacked_counter = (self.stacked_counter + 1) & 0xFFFF_FFFF

    def _credit(self) -> None:
        credit = Event(Ev.CREDIT, self._channel_of(self._held()))
        if self._ack_mode:
            self._unacked.append(credit)  # repeated until EVENT ACK (ITL "Poll With Ack")
        else:
            self._events.append(credit)
            self._ack_pending_credit = True  # the next poll acknowledges it
        self._set("credited")

    def _poll(self) -> bytes:
        now = time.monotonic_ns()
        if self._ack_pending_credit:
            self.ack_times.append(now)  # plain SSP: a new poll means the credit was taken
            self._ack_pending_credit = False
        if self._state == "escrow":  # a POLL with a note held in escrow accepts it
            self._events.append(Event(Ev.STACKING))
            self._set("stacking")
        else:
            self._advance()
        events = self._unacked + self._events + self._lasting()
        self._events = []
        if self.on_credit is not None and any(e.code == Ev.CREDIT for e in events):
            self.on_credit()
        return bytes((Reply.OK,)) + encode_events(events)

    def _handle(self, cmd: int, data: bytes) -> bytes:
        """The reply data for one new host command."""
        ok = bytes((Reply.OK,))
        self._last_command = time.monotonic()
        if cmd == Cmd.SYNC:
            return ok
        if cmd in (Cmd.SET_GENERATOR, Cmd.SET_MODULUS):
            if len(data) != 8:
                return bytes((Reply.WRONG_PARAMETERS,))
            value = from_u64(data)
            if not is_prime(value):
                return bytes((Reply.PARAMETER_OUT_OF_RANGE,))  # ITL: must be prime
            if cmd == Cmd.SET_GENERATOR:
                self._generator = value
            else:
                self._modulus = value
            return ok
        if cmd == Cmd.REQUEST_KEY_EXCHANGE:
            if len(data) != 8:
                return bytes((Reply.WRONG_PARAMETERS,))
            if not self._generator or not self._modulus:
                return bytes((Reply.FAIL,))
            slave = KeyExchange(self._generator, self._modulus,
                                self._rng.randrange(1, 0x8000_0000))
            self._pending_key = aes_key(self.fixed_key, slave.shared(from_u64(data)))
            self.negotiations += 1
            return ok + u64(slave.inter)
        if (cmd in (Cmd.POLL_WITH_ACK, Cmd.EVENT_ACK) and self.encrypted and self.poll_with_ack
                and not self._in_essp):
            return bytes((Reply.KEY_NOT_SET,))  # ITL: "encryption required"
        if cmd == Cmd.HOST_PROTOCOL_VERSION:
            if len(data) != 1:
                return bytes((Reply.WRONG_PARAMETERS,))
            if not 4 <= data[0] <= 8:
                return bytes((Reply.FAIL,))
            self._protocol = data[0]
            return ok
        if cmd == Cmd.SETUP_REQUEST:
            setup = Setup(0, "0100", "CNY", self._protocol, CNY_CHANNELS)
            return ok + encode_setup(setup, multiplier=100)
        if cmd == Cmd.SET_INHIBITS:
            if not 1 <= len(data) <= 2:
                return bytes((Reply.WRONG_PARAMETERS,))
            self._channels_on = enabled_by_mask(data)
            return ok
        if cmd in (Cmd.ENABLE, Cmd.DISABLE):
            self._enabled = cmd == Cmd.ENABLE
            return ok
        if cmd == Cmd.POLL or (cmd == Cmd.POLL_WITH_ACK and self.poll_with_ack):
            self._ack_mode = cmd == Cmd.POLL_WITH_ACK
            return self._poll()
        if cmd == Cmd.EVENT_ACK and self.poll_with_ack:
            if not self._unacked:
                return bytes((Reply.CANNOT_PROCESS,))
            self._unacked = []
            self.ack_times.append(time.monotonic_ns())
            return ok
        if cmd == Cmd.HOLD:
            return ok if self._state == "escrow" else bytes((Reply.CANNOT_PROCESS,))
        if cmd == Cmd.REJECT:
            if self._state != "escrow":
                return bytes((Reply.CANNOT_PROCESS,))
            self._reject(CODE_BY_HOST, self.returned)
            return ok
        if cmd == Cmd.LAST_REJECT_CODE:
            return ok + bytes((self._reject_code,))
        if cmd == Cmd.GET_COUNTERS and self.counters:
            rejected = len(self.rejected) + len(self.returned)
            return ok + encode_counters(Counters(self.stacked_counter, rejected=rejected))
        if cmd == Cmd.GET_SERIAL_NUMBER:
            return ok + self.serial.to_bytes(4, "big")
        if cmd == Cmd.RESET:
            self._power_on(note_fate=True)
            return ok
        return bytes((Reply.UNKNOWN_COMMAND,))

    _ack_mode = True
    _reject_into: list[int] = []
    _in_essp = False  # the command being handled came encrypted
    _pending_key: bytes | None = None  # installed once the 4C reply has gone out

    def _on_packet(self, packet: Packet) -> bytes | None:
        if packet.addr != 0:
            return None  # another slave on the bus
        if self._state == "escrow" and time.monotonic() - self._last_command > ESCROW_TIMEOUT:
            self._reject(CODE_ESCROW_TIMEOUT, self.returned)  # the host went quiet too long
        cmd, data = packet.data[0], packet.data[1:]
        if cmd != Cmd.SYNC and packet.seq == self._last_seq and self._last_reply is not None:
            return self._last_reply  # same flag: the host missed our reply; repeat, do not redo
        cipher = self._cipher if cmd == STEX else None
        if cmd == STEX:
            if cipher is None:
                reply = build_packet(packet.seq, bytes((Reply.KEY_NOT_SET,)))
                self._last_seq, self._last_reply = packet.seq, reply
                return reply
            try:
                count, inner = cipher.unwrap(packet.data)
            except ProtocolError as err:
                log.debug("ssp emulator: encrypted command dropped: %s", err)
                return None
            if count != self._ecount:
                self.refused_counts.append(count)  # replayed or out of order: not executed
                return None
            self._ecount = (count + 1) & 0xFFFF_FFFF
            cmd, data = inner[0], inner[1:]
        self.commands.append(cmd)
        self._in_essp = cipher is not None
        answer = self._handle(cmd, data)
        if cipher is not None:
            wrapped = cipher.wrap(answer, self._ecount)
            self.encrypted_replies.append((answer, wrapped))
            if self.inject_reply is not None:
                wrapped, self.inject_reply = self.inject_reply, None
            answer = wrapped
        reply = build_packet(packet.seq, answer)
        if self._pending_key is not None:  # 4C answered: later commands use the new key
            self._cipher, self._ecount = EsspCipher(self._pending_key), 0
            self._pending_key = None
        # SYNC makes the next command carry flag 0 (ITL "Sync").
        self._last_seq = 1 if cmd == Cmd.SYNC else packet.seq
        self._last_reply = reply
        return reply

    # -- pty I/O -----------------------------------------------------------------------------

    def _received(self, chunk: bytes) -> None:
        for packet in self._parser.feed(chunk):
            if self._muted:
                continue
            reply = self._on_packet(packet)
            if reply is not None:
                self._write(self._damage(reply))

    def _corrupt_crc(self, reply: bytes) -> bytes:
        last = reply[-1] ^ 0x5A
        return reply[:-1] + bytes((last if last != 0x7F else 0x00,))  # never a fake STX
