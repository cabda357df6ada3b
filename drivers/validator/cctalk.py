"""ccTalk bill-validator codec: checksums, frames, a resynchronising parser, event and bill tables.

Pure functions of bytes (stdlib + drivers.errors only). Frame: ``DEST | N | SRC | HEADER | DATA | CHK``
where N counts the data bytes only. Simple checksum: every byte sums to 0 mod 256. CRC-16 variant:
CRC-16/XMODEM over DEST, N, HEADER, DATA with its LSB in the SRC slot and its MSB as the last byte
(docs/protocols.md, section 0 and 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from drivers.errors import ProtocolError

# the bill table (157, 156) and inhibit masks live in cctalk_bills.py; named here too
from drivers.validator.cctalk_bills import BILL_TYPES as BILL_TYPES
from drivers.validator.cctalk_bills import BillId as BillId
from drivers.validator.cctalk_bills import Scaling as Scaling
from drivers.validator.cctalk_bills import bill_value_fen as bill_value_fen
from drivers.validator.cctalk_bills import enabled_by_mask as enabled_by_mask
from drivers.validator.cctalk_bills import inhibit_mask as inhibit_mask
from drivers.validator.cctalk_bills import parse_bill_id as parse_bill_id
from drivers.validator.cctalk_bills import parse_scaling as parse_scaling
from drivers.validator.framing import ResyncingParser, crc16_msb_first, msb_first_table

HOST = 1
BILL_VALIDATOR = 40
MIN_FRAME = 5
MAX_DATA = 252  # the spec caps a message at 255 bytes: 5 framing bytes + 250; allow a margin
CHECKSUMS = ("simple", "crc16")
EVENT_SLOTS = 5  # a 159 reply holds the latest five events, newest first


class Header(IntEnum):
    """ccTalk headers a bill-validator host uses (ccTalk4j Header.java)."""

    REPLY = 0  # ACK: every answer from a slave carries header 0
    RESET_DEVICE = 1
    NAK = 5
    BUSY = 6
    MODIFY_BILL_OPERATING_MODE = 153
    ROUTE_BILL = 154
    REQUEST_COUNTRY_SCALING_FACTOR = 156
    REQUEST_BILL_ID = 157
    READ_BUFFERED_BILL_EVENTS = 159
    REQUEST_MASTER_INHIBIT_STATUS = 227
    MODIFY_MASTER_INHIBIT_STATUS = 228
    REQUEST_INHIBIT_STATUS = 230
    MODIFY_INHIBIT_STATUS = 231
    REQUEST_EQUIPMENT_CATEGORY_ID = 245
    SIMPLE_POLL = 254


class Route(IntEnum):
    """Route codes for header 154."""

    RETURN = 0
    STACK = 1
    EXTEND_ESCROW_TIMEOUT = 255


ROUTE_ERRORS: dict[int, str] = {254: "escrow is empty", 255: "failed to route bill"}

# Header 153 data: sources disagree on which bit is escrow and which stacker (the digest says
# bit 0 escrow, bit 1 stacker; other copies of the spec the reverse); both set means both on.
MODE_STACKER_AND_ESCROW = 0x03


class EventKind(IntEnum):
    """How the host treats a status event (A = 0)."""

    MASTER_INHIBIT = 0
    RETURNED = 1
    REJECTED = 2
    JAM_ACCEPTOR = 3
    JAM_STACKER = 4
    JAM_CLEARED = 5
    STACKER_OK = 6
    STACKER_REMOVED = 7
    STACKER_INSERTED = 8
    STACKER_FULL = 9
    FAULT = 10
    UNKNOWN_STACKED = 11


# Status codes B refused because inhibited (master, on serial, on DIP switches), not unrecognised
INHIBIT_STATUSES = {0, 4, 5}
# Status code B of an event with A = 0: (kind, description) (ccTalk4j BillEvent.java).
STATUS_EVENTS: dict[int, tuple[EventKind, str]] = {
    0: (EventKind.MASTER_INHIBIT, "master inhibit active"),
    1: (EventKind.RETURNED, "bill returned from escrow"),
    2: (EventKind.REJECTED, "invalid bill (validation fail)"),
    3: (EventKind.REJECTED, "invalid bill (transport problem)"),
    4: (EventKind.REJECTED, "inhibited bill (on serial)"),
    5: (EventKind.REJECTED, "inhibited bill (on DIP switches)"),
    6: (EventKind.JAM_ACCEPTOR, "bill jammed in transport (unsafe mode)"),
    7: (EventKind.JAM_STACKER, "bill jammed in stacker"),
    8: (EventKind.REJECTED, "bill pulled backwards"),
    9: (EventKind.FAULT, "bill tamper"),
    10: (EventKind.STACKER_OK, "stacker OK"),
    11: (EventKind.STACKER_REMOVED, "stacker removed"),
    12: (EventKind.STACKER_INSERTED, "stacker inserted"),
    13: (EventKind.FAULT, "stacker faulty"),
    14: (EventKind.STACKER_FULL, "stacker full"),
    15: (EventKind.JAM_STACKER, "stacker jammed"),
    16: (EventKind.JAM_ACCEPTOR, "bill jammed in transport (safe mode)"),
    17: (EventKind.FAULT, "opto fraud detected"),
    18: (EventKind.FAULT, "string fraud detected"),
    19: (EventKind.FAULT, "anti-string mechanism faulty"),
    20: (EventKind.REJECTED, "barcode detected"),
    21: (EventKind.UNKNOWN_STACKED, "unknown bill type stacked"),
    22: (EventKind.JAM_CLEARED, "jam cleared"),
}


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame; `src` is None in CRC-16 mode (that slot holds the CRC's LSB)."""

    dest: int
    src: int | None
    header: int
    data: bytes = b""

    def encode(self, checksum: str = "simple") -> bytes:
        """The frame's wire bytes."""
        return build_frame(self.dest, self.src or 0, self.header, self.data, checksum)


_CRC_TABLE = msb_first_table(0x1021)


def crc16_xmodem(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-16/XMODEM (0x1021, init 0, MSB first); "123456789" gives 0x31C3."""
    return crc16_msb_first(_CRC_TABLE, data, crc)


def simple_checksum(data: bytes | bytearray | memoryview) -> int:
    """The byte that makes `data` plus itself sum to 0 mod 256."""
    return -sum(data) & 0xFF


def _check_mode(checksum: str) -> None:
    if checksum not in CHECKSUMS:
        raise ValueError(f"cctalk: checksum must be one of {CHECKSUMS}, not {checksum!r}")


def build_frame(dest: int, src: int, header: int, data: bytes = b"", checksum: str = "simple") -> bytes:
    """Wire bytes of one message; `src` is ignored in CRC-16 mode. Raises ProtocolError if it cannot fit."""
    _check_mode(checksum)
    for what, byte in (("destination", dest), ("source", src), ("header", header)):
        if not 0 <= byte <= 0xFF:
            raise ProtocolError(f"cctalk: {what} byte out of range: {byte}")
    if len(data) > MAX_DATA:
        raise ProtocolError(f"cctalk: {len(data)} data bytes do not fit a frame")
    if checksum == "simple":
        body = bytes((dest, len(data), src, header)) + bytes(data)
        return body + bytes((simple_checksum(body),))
    crc = crc16_xmodem(bytes((dest, len(data), header)) + bytes(data))
    return bytes((dest, len(data), crc & 0xFF, header)) + bytes(data) + bytes((crc >> 8,))


def _valid(buf: bytes | bytearray | memoryview, pos: int, end: int, checksum: str) -> bool:
    if checksum == "simple":
        return sum(buf[pos:end]) & 0xFF == 0
    crc = crc16_xmodem(bytes((buf[pos], buf[pos + 1], buf[pos + 3])) + bytes(buf[pos + 4 : end - 1]))
    return crc == buf[pos + 2] | buf[end - 1] << 8


def _frame_at(buf: bytes | bytearray, pos: int, end: int, checksum: str) -> Frame:
    src = buf[pos + 2] if checksum == "simple" else None
    return Frame(buf[pos], src, buf[pos + 3], bytes(buf[pos + 4 : end - 1]))


def decode_frame(raw: bytes, checksum: str = "simple") -> Frame:
    """Decode exactly one whole frame; raises ProtocolError on any deviation."""
    _check_mode(checksum)
    if len(raw) < MIN_FRAME:
        raise ProtocolError(f"cctalk: frame too short ({len(raw)} bytes): {bytes(raw).hex()}")
    if raw[1] + MIN_FRAME != len(raw):
        raise ProtocolError(f"cctalk: length byte {raw[1]} but {len(raw)} bytes: {bytes(raw).hex()}")
    if not _valid(raw, 0, len(raw), checksum):
        raise ProtocolError(f"cctalk: bad {checksum} checksum: {bytes(raw).hex()}")
    return _frame_at(raw, 0, len(raw), checksum)


class CctalkParser(ResyncingParser[Frame]):
    """Incremental frame parser that resynchronises after garbage, partial frames and bad checksums.

    ccTalk has no sync byte, so a frame may start at any byte; `dests` (if given) names the
    destination addresses worth trying, which keeps noise from passing as frames.
    """

    def __init__(self, checksum: str = "simple", dests: frozenset[int] | set[int] | None = None) -> None:
        _check_mode(checksum)
        self.checksum = checksum
        self._dests = frozenset(dests) if dests is not None else None
        super().__init__()

    def _scan(self, buf: bytearray, out: list[Frame], dropped: bytearray) -> int:
        dests, checksum = self._dests, self.checksum
        pos, n = 0, len(buf)
        while n - pos >= 2:
            if dests is not None and buf[pos] not in dests:
                dropped.append(buf[pos])
                pos += 1
                continue
            end = pos + buf[pos + 1] + MIN_FRAME
            if end > n:
                # Incomplete; but if a whole valid frame starts later in the buffer, the byte
                # here was noise with a large length byte: do not wait on it.
                later = self._valid_frame_after(pos + 1)
                if later < 0:
                    break
                dropped += buf[pos:later]
                pos = later
                continue
            if not _valid(buf, pos, end, checksum):
                self.bad_frames += 1
                dropped.append(buf[pos])
                pos += 1  # a real frame may begin inside the bad one
                continue
            out.append(_frame_at(buf, pos, end, checksum))
            pos = end
        return pos

    def _valid_frame_after(self, pos: int) -> int:
        buf, n, dests = self._buf, len(self._buf), self._dests
        while n - pos >= MIN_FRAME:
            if dests is None or buf[pos] in dests:
                end = pos + buf[pos + 1] + MIN_FRAME
                if end <= n and _valid(buf, pos, end, self.checksum):
                    return pos
            pos += 1
        return -1


# -- buffered bill events (header 159) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventBlock:
    """A 159 reply: the event counter and up to five (A, B) events, newest first."""

    counter: int
    events: tuple[tuple[int, int], ...]


def parse_event_block(data: bytes) -> EventBlock:
    """Parse 159 reply data ``counter, A1, B1 ... A5, B5``."""
    if len(data) != 1 + 2 * EVENT_SLOTS:
        raise ProtocolError(f"cctalk: event block of {len(data)} bytes, expected 11: {data.hex()}")
    events = tuple((data[i], data[i + 1]) for i in range(1, len(data), 2))
    return EventBlock(data[0], events)


def encode_event_block(counter: int, events: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> bytes:
    """159 reply data for `counter` and `events` (newest first, padded with zeros to five)."""
    slots = list(events)[:EVENT_SLOTS]
    slots += [(0, 0)] * (EVENT_SLOTS - len(slots))
    return bytes((counter,)) + b"".join(bytes(pair) for pair in slots)


def next_counter(counter: int) -> int:
    """The event counter after one more event: 1..255, wrapping 255 -> 1 (0 only after a reset)."""
    return 1 if counter >= 255 else counter + 1


def events_since(last: int, counter: int) -> int:
    """How many events happened between counter readings `last` and `counter` (0 = none)."""
    if counter == last:
        return 0
    if last == 0:
        return counter
    if counter == 0:
        raise ProtocolError("cctalk: event counter went back to 0 (device reset)")
    return (counter - last) % 255


def new_events(last: int, block: EventBlock) -> tuple[list[tuple[int, int]], int]:
    """The events since counter `last`, oldest first, and how many were lost (beyond five)."""
    count = events_since(last, block.counter)
    lost = max(0, count - EVENT_SLOTS)
    fresh = list(block.events[: min(count, EVENT_SLOTS)])
    fresh.reverse()
    return fresh, lost


def describe_event(a: int, b: int) -> str:
    """A short rendering of one buffered event, for logs."""
    if a > 0:
        return f"bill type {a} {'in escrow' if b == 1 else 'credited' if b == 0 else f'B={b}'}"
    kind = STATUS_EVENTS.get(b)
    return kind[1] if kind else f"unknown status {b}"


def describe(frame: Frame) -> str:
    """A short human-readable rendering of a frame, for logs."""
    try:
        name = Header(frame.header).name.lower()
    except ValueError:
        name = f"header {frame.header}"
    return f"{frame.src}->{frame.dest} {name}({frame.data.hex()})"
