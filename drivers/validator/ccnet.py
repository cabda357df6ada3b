"""CashCode CCNET codec: CRC-16/Kermit, frames, a resynchronising parser, bill table and masks.

Pure functions of bytes (stdlib + drivers.errors only). Frame: ``02 | ADR | LNG | CMD | DATA |
CRC_L CRC_H`` where LNG counts the whole frame and the CRC covers SYNC..DATA
(docs/protocols.md, §4). A reply's first byte plays the CMD role: a state code, ACK (00),
NAK (FF), ILLEGAL COMMAND (30) or the first byte of a data block (identification, bill table).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from drivers.errors import ProtocolError
from drivers.validator.framing import LengthPrefixedParser, crc16_kermit

SYNC = 0x02
ADDR_BILL_VALIDATOR = 0x03
MIN_FRAME = 6  # SYNC ADR LNG CMD CRC CRC: every frame carries at least a command/state byte
MAX_FRAME = 0xFF  # LNG 0 announces an extended length (firmware download only): not supported
BILL_TYPES = 24
BILL_TABLE_LEN = BILL_TYPES * 5
IDENTIFICATION_LEN = 34  # part number 15, serial number 12, asset number 7


class Cmd(IntEnum):
    """Controller commands (and the ACK/NAK both sides send)."""

    ACK = 0x00
    RESET = 0x30
    GET_STATUS = 0x31
    SET_SECURITY = 0x32
    POLL = 0x33
    ENABLE_BILL_TYPES = 0x34
    STACK = 0x35
    RETURN = 0x36
    IDENTIFICATION = 0x37
    HOLD = 0x38
    SET_BARCODE_PARAMETERS = 0x39
    EXTRACT_BARCODE_DATA = 0x3A
    GET_BILL_TABLE = 0x41
    NAK = 0xFF


ILLEGAL_COMMAND = 0x30  # the validator's answer to a command it cannot take now


class State(IntEnum):
    """First byte of a POLL reply."""

    POWER_UP = 0x10
    POWER_UP_BILL_IN_VALIDATOR = 0x11
    POWER_UP_BILL_IN_STACKER = 0x12
    INITIALIZE = 0x13
    IDLING = 0x14
    ACCEPTING = 0x15
    STACKING = 0x17
    RETURNING = 0x18
    DISABLED = 0x19
    HOLDING = 0x1A
    BUSY = 0x1B
    REJECTING = 0x1C
    CASSETTE_FULL = 0x41
    CASSETTE_OUT = 0x42
    VALIDATOR_JAMMED = 0x43
    CASSETTE_JAMMED = 0x44
    CHEATED = 0x45
    PAUSE = 0x46
    FAILURE = 0x47
    ESCROW = 0x80
    STACKED = 0x81
    RETURNED = 0x82


STATE_NAMES: dict[int, str] = {s.value: s.name.lower() for s in State}

INHIBIT_REJECTS = {0x68}  # refused because inhibited, not unrecognised
REJECT_REASONS: dict[int, str] = {
    0x60: "insertion",
    0x61: "magnetic",
    0x62: "bill remaining in head",
    0x63: "multiplying",
    0x64: "conveying",
    0x65: "identification",
    0x66: "verification",
    0x67: "optic",
    0x68: "inhibited",
    0x69: "capacity",
    0x6A: "operation",
    0x6C: "length",
    0x6D: "UV",
    0x92: "unrecognised barcode",
    0x93: "incorrect barcode length",
    0x94: "unknown barcode start",
    0x95: "unknown barcode stop",
}

FAILURE_CODES: dict[int, str] = {
    0x50: "stack motor",
    0x51: "transport motor speed",
    0x52: "transport motor",
    0x53: "aligning motor",
    0x54: "initial cassette status",
    0x55: "optic canal",
    0x56: "magnetic canal",
    0x5F: "capacitance canal",
}


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame: the command/state byte, its data and the peripheral address."""

    cmd: int
    data: bytes = b""
    address: int = ADDR_BILL_VALIDATOR

    def encode(self) -> bytes:
        """The frame's wire bytes."""
        return build_frame(self.cmd, self.data, self.address)

    @property
    def payload(self) -> bytes:
        """CMD and DATA together: a data block reply (bill table, identification) as sent."""
        return bytes((self.cmd,)) + self.data


def build_frame(cmd: int, data: bytes = b"", address: int = ADDR_BILL_VALIDATOR) -> bytes:
    """Wire bytes for `cmd` with `data`; raises ProtocolError when it cannot fit a frame."""
    if not 0 <= cmd <= 0xFF or not 0 <= address <= 0xFF:
        raise ProtocolError(f"ccnet: command 0x{cmd:x} or address 0x{address:x} out of range")
    length = MIN_FRAME + len(data)
    if length > MAX_FRAME:
        raise ProtocolError(f"ccnet: {len(data)} data bytes do not fit a frame")
    body = bytes((SYNC, address, length, cmd)) + bytes(data)
    crc = crc16_kermit(body)
    return body + bytes((crc & 0xFF, crc >> 8))


def decode_frame(raw: bytes) -> Frame:
    """Decode exactly one whole frame; raises ProtocolError on any deviation."""
    if len(raw) < MIN_FRAME:
        raise ProtocolError(f"ccnet: frame too short ({len(raw)} bytes): {bytes(raw).hex()}")
    if raw[0] != SYNC:
        raise ProtocolError(f"ccnet: bad sync byte 0x{raw[0]:02x}")
    if raw[2] != len(raw):
        raise ProtocolError(f"ccnet: length byte {raw[2]} but {len(raw)} bytes: {bytes(raw).hex()}")
    if crc16_kermit(raw[:-2]) != raw[-2] | raw[-1] << 8:
        raise ProtocolError(f"ccnet: bad CRC: {bytes(raw).hex()}")
    return Frame(raw[3], bytes(raw[4:-2]), raw[1])


class CcnetParser(LengthPrefixedParser[Frame]):
    """Incremental frame parser for one address; resynchronises after garbage and bad CRCs."""

    def __init__(self, address: int = ADDR_BILL_VALIDATOR) -> None:
        # Frames for other addresses are skipped like noise: the header is SYNC + our address.
        super().__init__(bytes((SYNC, address)), length_at=2, min_frame=MIN_FRAME)

    @property
    def address(self) -> int:
        """The peripheral address whose frames are returned."""
        return self._header[1]

    @address.setter
    def address(self, address: int) -> None:
        self._header = bytes((SYNC, address))

    def _decode(self, buf: bytearray, start: int, end: int) -> Frame:
        return Frame(buf[start + 3], bytes(buf[start + 4 : end - 2]), buf[start + 1])


@dataclass(frozen=True, slots=True)
class BillType:
    """One record of the GET BILL TABLE reply: bill type index, digits, country, power of ten."""

    index: int
    digits: int
    country: str
    power: int  # raw 5th byte: bit 7 clear = that many trailing zeros, set = decimal places

    @property
    def value_fen(self) -> int:
        """The note's value in fen (the table's unit is the currency's major unit, yuan)."""
        places = self.power & 0x7F
        if self.power & 0x80:
            # Bit 7 set: the decimal point moves left (CCNET manual, GET BILL TABLE).
            value, rest = divmod(self.digits * 100, 10**places)
            if rest:
                raise ProtocolError(f"ccnet: bill type {self.index} is worth a fraction of a fen")
            return int(value)
        return int(self.digits * 10**places * 100)


def parse_bill_table(data: bytes) -> tuple[BillType, ...]:
    """Parse a GET BILL TABLE reply (24 records of 5 bytes); skips empty slots."""
    if len(data) != BILL_TABLE_LEN:
        raise ProtocolError(f"ccnet: bill table of {len(data)} bytes, expected {BILL_TABLE_LEN}")
    types = []
    for index in range(BILL_TYPES):
        digits, c1, c2, c3, power = data[index * 5 : index * 5 + 5]
        if digits == 0:
            continue  # an unassigned bill type
        country = bytes((c1, c2, c3)).decode("ascii", "replace").strip("\x00 ")
        types.append(BillType(index, digits, country, power))
    return tuple(types)


def encode_bill_table(types: Iterable[BillType]) -> bytes:
    """The GET BILL TABLE reply data for `types` (the emulator's side of parse_bill_table)."""
    table = bytearray(BILL_TABLE_LEN)
    for t in types:
        if not 0 <= t.index < BILL_TYPES:
            raise ProtocolError(f"ccnet: bill type index {t.index} out of range")
        country = t.country.encode("ascii").ljust(3, b"\x00")[:3]
        table[t.index * 5 : t.index * 5 + 5] = bytes((t.digits,)) + country + bytes((t.power,))
    return bytes(table)


def type_mask(types: Iterable[int]) -> bytes:
    """3-byte mask with a bit set per bill type; the first byte holds types 23..16."""
    bits = 0
    for t in types:
        if not 0 <= t < BILL_TYPES:
            raise ProtocolError(f"ccnet: bill type {t} has no bit in the mask")
        bits |= 1 << t
    return bits.to_bytes(3, "big")


def types_in_mask(mask: bytes) -> frozenset[int]:
    """The bill types a 3-byte mask selects."""
    if len(mask) != 3:
        raise ProtocolError(f"ccnet: bill type mask must be 3 bytes, not {len(mask)}")
    bits = int.from_bytes(mask, "big")
    return frozenset(t for t in range(BILL_TYPES) if bits >> t & 1)


def enable_data(enabled: Iterable[int], escrow: Iterable[int]) -> bytes:
    """ENABLE BILL TYPES data: the enabled mask, then the mask of types held in escrow."""
    return type_mask(enabled) + type_mask(escrow)


@dataclass(frozen=True, slots=True)
class Identification:
    """The IDENTIFICATION reply."""

    part: str
    serial: str
    asset: bytes

    def encode(self) -> bytes:
        """The reply data (the emulator's side of parse_identification)."""
        return (self.part.encode("ascii").ljust(15)[:15] + self.serial.encode("ascii").ljust(12)[:12]
                + self.asset.ljust(7, b"\x00")[:7])


def parse_identification(data: bytes) -> Identification:
    """Parse an IDENTIFICATION reply (34 bytes)."""
    if len(data) != IDENTIFICATION_LEN:
        raise ProtocolError(f"ccnet: identification of {len(data)} bytes, expected 34")
    text = data[:27].decode("ascii", "replace")
    return Identification(text[:15].strip(), text[15:27].strip(), bytes(data[27:]))


def describe(frame: Frame) -> str:
    """A short human-readable rendering of a reply frame, for logs."""
    name = STATE_NAMES.get(frame.cmd, f"0x{frame.cmd:02x}")
    if frame.cmd == State.REJECTING and frame.data:
        return f"{name}({REJECT_REASONS.get(frame.data[0], hex(frame.data[0]))})"
    if frame.cmd == State.FAILURE and frame.data:
        return f"{name}({FAILURE_CODES.get(frame.data[0], hex(frame.data[0]))})"
    return f"{name}({frame.data.hex()})" if frame.data else name
