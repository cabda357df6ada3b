"""JCM ID-003 codec: CRC-16/Kermit, frame building, an incremental resynchronising parser, tables.

Pure functions of bytes (stdlib + drivers.errors only). Frame: ``FC | LNG | CMD | DATA | CRC_L CRC_H``
where LNG counts the whole frame and the CRC covers SYNC..DATA (docs/protocols.md, §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from drivers.errors import ProtocolError
from drivers.validator.framing import LengthPrefixedParser, crc16_kermit

SYNC = 0xFC
MIN_FRAME = 5
MAX_FRAME = 0xFF


class Cmd(IntEnum):
    """Host commands (operation, setting and request)."""

    STATUS_REQUEST = 0x11
    RESET = 0x40
    STACK_1 = 0x41
    STACK_2 = 0x42
    RETURN = 0x43
    HOLD = 0x44
    WAIT = 0x45
    ACK = 0x50
    SET_DENOMINATION = 0xC0
    SET_SECURITY = 0xC1
    SET_COMMUNICATION_MODE = 0xC2
    SET_INHIBIT = 0xC3
    SET_DIRECTION = 0xC4
    SET_OPTIONAL_FUNCTION = 0xC5
    SET_BARCODE_FUNCTION = 0xC6
    SET_BARCODE_INHIBIT = 0xC7
    GET_DENOMINATION = 0x80
    GET_SECURITY = 0x81
    GET_COMMUNICATION_MODE = 0x82
    GET_INHIBIT = 0x83
    GET_DIRECTION = 0x84
    GET_OPTIONAL_FUNCTION = 0x85
    GET_BARCODE_FUNCTION = 0x86
    GET_BARCODE_INHIBIT = 0x87
    VERSION_REQUEST = 0x88
    CURRENCY_ASSIGN = 0x8A


SETTING_COMMANDS = frozenset(range(0xC0, 0xC8))  # answered with an echo of the command


class Status(IntEnum):
    """Status codes the validator answers a STATUS REQUEST with."""

    IDLING = 0x11
    ACCEPTING = 0x12
    ESCROW = 0x13
    STACKING = 0x14
    VEND_VALID = 0x15
    STACKED = 0x16
    REJECTING = 0x17
    RETURNING = 0x18
    HOLDING = 0x19
    DISABLED = 0x1A
    INITIALIZE = 0x1B
    POWER_UP = 0x40
    POWER_UP_BILL_IN_ACCEPTOR = 0x41
    POWER_UP_BILL_IN_STACKER = 0x42
    STACKER_FULL = 0x43
    STACKER_OPEN = 0x44
    ACCEPTOR_JAM = 0x45
    STACKER_JAM = 0x46
    PAUSE = 0x47
    CHEATED = 0x48
    FAILURE = 0x49
    COMMUNICATION_ERROR = 0x4A
    INVALID_COMMAND = 0x4B


ACK_REPLY = 0x50  # the validator answers operation commands with this byte as CMD

STATUS_NAMES: dict[int, str] = {s.value: s.name.lower() for s in Status}

INHIBIT_REJECTS = {0x79}  # refused because inhibited, not unrecognised
REJECT_REASONS: dict[int, str] = {
    0x71: "insertion",
    0x72: "magnetic",
    0x73: "bill remaining in head",
    0x74: "compensation",
    0x75: "conveying",
    0x76: "denomination",
    0x77: "photo pattern",
    0x78: "photo level",
    0x79: "inhibited",
    0x7B: "operation",
    0x7C: "bill at the wrong time",
    0x7D: "length",
    0x7E: "colour pattern",
    0x98: "multiple bills",
    0x9B: "ticket upside-down",
}

FAILURE_CODES: dict[int, str] = {
    0xA2: "stacker motor",
    0xA5: "transport motor speed",
    0xA6: "transport motor",
    0xA7: "aligning motor",
    0xAB: "cashbox not ready",
    0xAF: "validator head removed",
    0xB0: "boot ROM",
    0xB1: "external ROM",
    0xB2: "ROM",
    0xB3: "external ROM writing",
}

ESCROW_BARCODE = 0x6F


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame: the command/status byte and its data."""

    cmd: int
    data: bytes = b""

    def encode(self) -> bytes:
        """The frame's wire bytes."""
        return build_frame(self.cmd, self.data)


def build_frame(cmd: int, data: bytes = b"") -> bytes:
    """Wire bytes for `cmd` with `data`; raises ProtocolError when it cannot fit a frame."""
    if not 0 <= cmd <= 0xFF:
        raise ProtocolError(f"id003: command byte out of range: {cmd}")
    length = MIN_FRAME + len(data)
    if length > MAX_FRAME:
        raise ProtocolError(f"id003: {len(data)} data bytes do not fit a frame")
    body = bytes((SYNC, length, cmd)) + bytes(data)
    crc = crc16_kermit(body)
    return body + bytes((crc & 0xFF, crc >> 8))


def decode_frame(raw: bytes) -> Frame:
    """Decode exactly one whole frame; raises ProtocolError on any deviation."""
    if len(raw) < MIN_FRAME:
        raise ProtocolError(f"id003: frame too short ({len(raw)} bytes): {bytes(raw).hex()}")
    if raw[0] != SYNC:
        raise ProtocolError(f"id003: bad sync byte 0x{raw[0]:02x}")
    if raw[1] != len(raw):
        raise ProtocolError(f"id003: length byte {raw[1]} but {len(raw)} bytes: {raw.hex()}")
    if crc16_kermit(raw[:-2]) != raw[-2] | raw[-1] << 8:
        raise ProtocolError(f"id003: bad CRC: {bytes(raw).hex()}")
    return Frame(raw[2], bytes(raw[3:-2]))


class Id003Parser(LengthPrefixedParser[Frame]):
    """Incremental frame parser that resynchronises after garbage, partial frames and bad CRCs."""

    def __init__(self) -> None:
        super().__init__(bytes((SYNC,)), length_at=1, min_frame=MIN_FRAME)

    def _decode(self, buf: bytearray, start: int, end: int) -> Frame:
        return Frame(buf[start + 2], bytes(buf[start + 3 : end - 2]))


@dataclass(frozen=True, slots=True)
class CurrencyEntry:
    """One record of the 0x8A currency-assign table."""

    code: int
    country: int
    integer: int
    exponent: int

    @property
    def value_fen(self) -> int:
        """The note's value in fen: integer * 10**exponent yuan * 100."""
        if self.exponent + 2 < 0:
            raise ProtocolError(f"id003: note code 0x{self.code:02x} is worth a fraction of a fen")
        return int(self.integer * 10 ** (self.exponent + 2))  # exponent + 2 >= 0: exact


def parse_currency_table(data: bytes) -> tuple[CurrencyEntry, ...]:
    """Parse 0x8A reply data (4-byte records code, country, integer, exponent); skips empty slots."""
    if len(data) % 4:
        raise ProtocolError(f"id003: currency table of {len(data)} bytes is not whole records")
    entries = []
    for i in range(0, len(data), 4):
        code, country, integer, exponent = data[i : i + 4]
        if integer == 0:
            continue  # an unassigned slot
        # The exponent byte is signed in the tables seen (values below 1 major unit).
        signed = exponent - 256 if exponent >= 0x80 else exponent
        entries.append(CurrencyEntry(code, country, integer, signed))
    return tuple(entries)


def encode_currency_table(entries: tuple[CurrencyEntry, ...] | list[CurrencyEntry]) -> bytes:
    """0x8A reply data for `entries` (the emulator's side of parse_currency_table)."""
    return b"".join(bytes((e.code, e.country, e.integer, e.exponent & 0xFF)) for e in entries)


def denomination_mask(disabled_codes: set[int] | frozenset[int]) -> bytes:
    """0xC0 data: bit = 1 disables; byte 0 bit 0 is code 0x61 (README, "Notes for kioskd")."""
    mask = 0
    for code in disabled_codes:
        bit = code - 0x61
        if not 0 <= bit < 16:
            raise ProtocolError(f"id003: code 0x{code:02x} has no bit in the denomination mask")
        mask |= 1 << bit
    return bytes((mask & 0xFF, mask >> 8))


def disabled_by_mask(mask: bytes) -> frozenset[int]:
    """Codes a 2-byte 0xC0 mask disables."""
    if len(mask) != 2:
        raise ProtocolError(f"id003: denomination mask must be 2 bytes, not {len(mask)}")
    bits = mask[0] | mask[1] << 8
    return frozenset(0x61 + i for i in range(16) if bits >> i & 1)


def describe(frame: Frame) -> str:
    """A short human-readable rendering of a reply frame, for logs."""
    name = STATUS_NAMES.get(frame.cmd, f"0x{frame.cmd:02x}")
    if frame.cmd == Status.REJECTING and frame.data:
        return f"{name}({REJECT_REASONS.get(frame.data[0], hex(frame.data[0]))})"
    if frame.cmd == Status.FAILURE and frame.data:
        return f"{name}({FAILURE_CODES.get(frame.data[0], hex(frame.data[0]))})"
    return f"{name}({frame.data.hex()})" if frame.data else name
