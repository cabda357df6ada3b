"""ITL SSP codec: CRC, byte stuffing, packets, a resynchronising parser, poll events.

Pure functions of bytes (stdlib + drivers.errors only). Packet on the wire:
``7F | SEQ·ADDR | LEN | DATA | CRCL CRCH`` where LEN counts DATA, the CRC (poly 0x8005, seed 0xFFFF,
MSB first) covers SEQ·ADDR..DATA and is computed before stuffing, and every 0x7F after the STX is
sent doubled (docs/protocols.md, §3; ITL SSP manual GA138).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from drivers.errors import ProtocolError
from drivers.validator.framing import (
    BAD,
    INCOMPLETE,
    SyncedParser,
    crc16_msb_first,
    msb_first_table,
)

# the device data (SETUP REQUEST, GET COUNTERS, SET INHIBITS) lives in ssp_setup.py; named here too
from drivers.validator.ssp_setup import Channel as Channel
from drivers.validator.ssp_setup import Counters as Counters
from drivers.validator.ssp_setup import Setup as Setup
from drivers.validator.ssp_setup import enabled_by_mask as enabled_by_mask
from drivers.validator.ssp_setup import encode_counters as encode_counters
from drivers.validator.ssp_setup import encode_setup as encode_setup
from drivers.validator.ssp_setup import inhibit_mask as inhibit_mask
from drivers.validator.ssp_setup import parse_counters as parse_counters
from drivers.validator.ssp_setup import parse_setup as parse_setup

STX = 0x7F
SEQ_FLAG = 0x80
MAX_DATA = 0xFF
MIN_PACKET = 6  # STX, SEQ·ADDR, LEN, one data byte, two CRC bytes


class Cmd(IntEnum):
    """Host commands a banknote validator understands."""

    RESET = 0x01
    SET_INHIBITS = 0x02
    SETUP_REQUEST = 0x05
    HOST_PROTOCOL_VERSION = 0x06
    POLL = 0x07
    REJECT = 0x08
    DISABLE = 0x09
    ENABLE = 0x0A
    GET_SERIAL_NUMBER = 0x0C
    SYNC = 0x11
    LAST_REJECT_CODE = 0x17
    HOLD = 0x18
    GET_FIRMWARE_VERSION = 0x20
    GET_DATASET_VERSION = 0x21
    SET_GENERATOR = 0x4A
    SET_MODULUS = 0x4B
    REQUEST_KEY_EXCHANGE = 0x4C
    POLL_WITH_ACK = 0x56
    EVENT_ACK = 0x57
    GET_COUNTERS = 0x58


class Reply(IntEnum):
    """Generic response codes: the first data byte of every slave reply."""

    OK = 0xF0
    UNKNOWN_COMMAND = 0xF2
    WRONG_PARAMETERS = 0xF3
    PARAMETER_OUT_OF_RANGE = 0xF4
    CANNOT_PROCESS = 0xF5
    SOFTWARE_ERROR = 0xF6
    FAIL = 0xF8
    KEY_NOT_SET = 0xFA


class Ev(IntEnum):
    """Poll events of a banknote validator (NV9/NV10/NV200)."""

    SLAVE_RESET = 0xF1
    READ = 0xEF
    CREDIT = 0xEE
    REJECTING = 0xED
    REJECTED = 0xEC
    STACKING = 0xCC
    STACKED = 0xEB
    SAFE_JAM = 0xEA
    UNSAFE_JAM = 0xE9
    DISABLED = 0xE8
    STACKER_FULL = 0xE7
    FRAUD_ATTEMPT = 0xE6
    NOTE_CLEARED_FROM_FRONT = 0xE1
    NOTE_CLEARED_INTO_CASHBOX = 0xE2
    CASHBOX_REMOVED = 0xE3
    CASHBOX_REPLACED = 0xE4
    NOTE_PATH_OPEN = 0xE0
    CHANNEL_DISABLE = 0xB5
    INITIALISING = 0xB6


# Events that carry one data byte (the channel; 0 = unknown or, for READ, still scanning).
CHANNEL_EVENTS = frozenset({Ev.READ, Ev.CREDIT, Ev.FRAUD_ATTEMPT, Ev.NOTE_CLEARED_FROM_FRONT,
                            Ev.NOTE_CLEARED_INTO_CASHBOX})
EVENT_NAMES: dict[int, str] = {e.value: e.name.lower().replace("_", " ") for e in Ev}

INHIBIT_REJECTS = {0x06, 0x0C}  # channel inhibit, disabled by host: not unrecognised
REJECT_REASONS: dict[int, str] = {
    0x00: "note accepted",
    0x01: "length fail",
    0x02: "average fail",
    0x03: "coastline fail",
    0x04: "graph fail",
    0x05: "buried fail",
    0x06: "channel inhibit",
    0x07: "second note detected",
    0x08: "reject by host",
    0x09: "cross channel detected",
    0x0A: "rear sensor error",
    0x0B: "note too long",
    0x0C: "disabled by host",
    0x0D: "slow mech",
    0x0E: "strim attempt",
    0x0F: "fraud channel",
    0x10: "no notes detected",
    0x11: "peak detect fail",
    0x12: "twisted note reject",
    0x13: "escrow timeout",
    0x14: "bar code scan fail",
    0x15: "no cam activate",
    0x16: "slot fail 1",
    0x17: "slot fail 2",
    0x18: "lens oversample",
    0x19: "width detection fail",
    0x1A: "short note detect",
    0x1B: "payout note",
    0x1C: "double note detected",
    0x1D: "unable to stack",
    0x1F: "credit card detected",
}


@dataclass(frozen=True, slots=True)
class Packet:
    """One decoded packet: sequence flag (0/1), slave address and data (command or reply)."""

    seq: int
    addr: int
    data: bytes

    def encode(self) -> bytes:
        """The packet's wire bytes (stuffed)."""
        return build_packet(self.seq, self.data, self.addr)


_CRC_TABLE = msb_first_table(0x8005)


def crc16_ssp(data: bytes | bytearray | memoryview, crc: int = 0xFFFF) -> int:
    """CRC-16 poly 0x8005, seed 0xFFFF, MSB first, no final XOR ([0x41] gives 0xFC84)."""
    return crc16_msb_first(_CRC_TABLE, data, crc)


def stuff(body: bytes) -> bytes:
    """Double every 0x7F (applied to everything after the STX)."""
    return body.replace(b"\x7f", b"\x7f\x7f")


def build_packet(seq: int, data: bytes, addr: int = 0) -> bytes:
    """Wire bytes for `data` to/from slave `addr` with sequence flag `seq` (0 or 1)."""
    if not 1 <= len(data) <= MAX_DATA:
        raise ProtocolError(f"ssp: packet data must be 1..{MAX_DATA} bytes, not {len(data)}")
    if not 0 <= addr <= 0x7F or seq not in (0, 1):
        raise ProtocolError(f"ssp: bad address {addr} or sequence flag {seq}")
    body = bytes((addr | (SEQ_FLAG if seq else 0), len(data))) + bytes(data)
    crc = crc16_ssp(body)
    return b"\x7f" + stuff(body + bytes((crc & 0xFF, crc >> 8)))


def _unstuff_at(buf: bytes | bytearray, pos: int) -> tuple[int, Packet | None]:
    """Read one packet whose STX is at buf[pos].

    Returns (end, packet): end = -1 when more bytes are needed; packet None means the
    bytes from pos are not a valid packet (bad CRC, bad length, or a lone 0x7F inside).
    """
    n = len(buf)
    # Fast path: no 0x7F in the header, data or CRC, so nothing to unstuff.
    if n - pos >= 3:
        length = buf[pos + 2]
        end = pos + 5 + length
        nxt = buf.find(STX, pos + 1, end)
        if nxt < 0 and buf[pos + 1] != STX and length:
            if end > n:
                return -1, None
            body = buf[pos + 1 : end - 2]
            if crc16_ssp(body) != buf[end - 2] | buf[end - 1] << 8:
                return end, None
            flag = buf[pos + 1]
            return end, Packet(flag >> 7, flag & 0x7F, bytes(buf[pos + 3 : end - 2]))
    out = bytearray()
    i = pos + 1
    want = 2  # header first; then LEN + 2 more
    while len(out) < want:
        if i >= n:
            return -1, None
        b = buf[i]
        if b == STX:
            if i + 1 >= n:
                return -1, None
            if buf[i + 1] != STX:
                return i, None  # a lone 0x7F: a new packet starts here, this one is broken
            i += 1
        out.append(b)
        i += 1
        if len(out) == 2:
            if out[1] == 0:
                return i, None
            want = 4 + out[1]
    if crc16_ssp(out[:-2]) != out[-2] | out[-1] << 8:
        return i, None
    return i, Packet(out[0] >> 7, out[0] & 0x7F, bytes(out[2:-2]))


def decode_packet(raw: bytes) -> Packet:
    """Decode exactly one whole stuffed packet; raises ProtocolError on any deviation."""
    if len(raw) < MIN_PACKET:
        raise ProtocolError(f"ssp: packet too short ({len(raw)} bytes): {bytes(raw).hex()}")
    if raw[0] != STX:
        raise ProtocolError(f"ssp: bad STX byte 0x{raw[0]:02x}")
    end, packet = _unstuff_at(raw, 0)
    if end < 0:
        raise ProtocolError(f"ssp: truncated packet: {bytes(raw).hex()}")
    if packet is None:
        raise ProtocolError(f"ssp: bad packet (CRC, length or stuffing): {bytes(raw).hex()}")
    if end != len(raw):
        raise ProtocolError(f"ssp: {len(raw) - end} bytes after the packet: {bytes(raw).hex()}")
    return packet


class SspParser(SyncedParser[Packet]):
    """Incremental packet parser that resynchronises after garbage, partial packets and bad CRCs."""

    def __init__(self) -> None:
        super().__init__(STX)

    def _frame_at(self, buf: bytearray, pos: int) -> tuple[int, Packet | None]:
        end, packet = _unstuff_at(buf, pos)
        if end < 0:
            return INCOMPLETE, None
        return (end, packet) if packet is not None else (BAD, None)


# -- poll events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """One poll event; `channel` for the events that carry one (else None); `rest` if unknown."""

    code: int
    channel: int | None = None
    rest: bytes = b""

    @property
    def name(self) -> str:
        """The event's name (e.g. "credit"), or its hex code when unknown."""
        return EVENT_NAMES.get(self.code, f"0x{self.code:02x}")


def parse_events(data: bytes) -> list[Event]:
    """Split a poll reply's data (after the generic OK) into events, oldest first.

    An unknown event code stops the split: its data length is not known, so the rest of the
    reply is kept in that event's `rest` (the driver logs it) instead of being misread.
    """
    events: list[Event] = []
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        if code in CHANNEL_EVENTS:
            if i + 1 >= n:
                raise ProtocolError(f"ssp: event 0x{code:02x} lacks its channel byte: {data.hex()}")
            events.append(Event(code, data[i + 1]))
            i += 2
        elif code in EVENT_NAMES:
            events.append(Event(code))
            i += 1
        else:
            events.append(Event(code, None, bytes(data[i + 1 :])))
            break
    return events


def encode_events(events: list[Event] | tuple[Event, ...]) -> bytes:
    """Poll reply data for `events` (the emulator's side of parse_events)."""
    out = bytearray()
    for e in events:
        out.append(e.code)
        if e.code in CHANNEL_EVENTS:
            out.append(e.channel or 0)
    return bytes(out)


def describe(data: bytes) -> str:
    """A short human-readable rendering of a reply's data, for logs."""
    if not data:
        return "empty"
    try:
        head = Reply(data[0]).name.lower()
    except ValueError:
        return data.hex()
    if data[0] == Reply.OK and len(data) > 1:
        try:
            return f"ok[{', '.join(e.name + ('' if e.channel is None else f'({e.channel})') for e in parse_events(data[1:]))}]"
        except ProtocolError:
            return f"ok({data[1:].hex()})"
    return head
