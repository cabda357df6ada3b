"""ITL SSP device data: the SETUP REQUEST channel table, GET COUNTERS, SET INHIBITS masks.

Pure functions of bytes (stdlib + drivers.errors only), both directions: the driver parses what
the emulator encodes (ITL SSP manual GA138).
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import ProtocolError

# -- setup request -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Channel:
    """One dataset channel: its number (1-based), currency and value in that currency's minor units."""

    number: int
    country: str
    value: int


@dataclass(frozen=True, slots=True)
class Setup:
    """A banknote validator's SETUP REQUEST reply."""

    unit_type: int
    firmware: str
    country: str
    protocol_version: int
    channels: tuple[Channel, ...]


def parse_setup(data: bytes) -> Setup:
    """Parse SETUP REQUEST reply data (after the generic OK); values = channel value x multiplier.

    Protocol >= 6 gives per-channel currencies and 4-byte values (little endian) after the
    real value multiplier (3 bytes, big endian); older ones give 1-byte values and the
    legacy multiplier (ITL GA138, "Setup Request" table; 5.00 EUR x 100 = 500 cents).
    """
    if len(data) < 12:
        raise ProtocolError(f"ssp: setup data too short ({len(data)} bytes): {data.hex()}")
    unit = data[0]
    firmware = data[1:5].decode("ascii", "replace")
    country = data[5:8].decode("ascii", "replace")
    legacy_mult = int.from_bytes(data[8:11], "big")
    n = data[11]
    if not 1 <= n <= 24:
        raise ProtocolError(f"ssp: setup reports {n} channels")
    if len(data) < 16 + 2 * n:
        raise ProtocolError(f"ssp: setup data of {len(data)} bytes is short for {n} channels")
    values = data[12 : 12 + n]
    real_mult = int.from_bytes(data[12 + 2 * n : 15 + 2 * n], "big")
    proto = data[15 + 2 * n]
    channels = []
    if proto >= 6 and len(data) >= 16 + 9 * n:
        base_cc, base_val = 16 + 2 * n, 16 + 5 * n
        for i in range(n):
            cc = data[base_cc + 3 * i : base_cc + 3 * i + 3].decode("ascii", "replace")
            raw = int.from_bytes(data[base_val + 4 * i : base_val + 4 * i + 4], "little")
            channels.append(Channel(i + 1, cc, raw * real_mult))
    elif proto >= 6:
        raise ProtocolError(f"ssp: protocol {proto} setup data lacks the expanded channel table")
    else:
        mult = legacy_mult or real_mult
        channels = [Channel(i + 1, country, values[i] * mult) for i in range(n)]
    return Setup(unit, firmware, country, proto, tuple(channels))


def encode_setup(setup: Setup, multiplier: int = 100) -> bytes:
    """SETUP REQUEST reply data for a protocol >= 6 device (the emulator's side of parse_setup)."""
    n = len(setup.channels)
    for c in setup.channels:
        if c.value % multiplier:
            raise ProtocolError(f"ssp: channel {c.number} value {c.value} is not x{multiplier}")
    out = bytearray((setup.unit_type,))
    out += setup.firmware.encode("ascii")[:4].ljust(4, b"0")
    out += setup.country.encode("ascii")[:3]
    out += bytes(3)  # legacy multiplier 0: values are in the expanded segment
    out.append(n)
    out += bytes(2 * n)  # legacy channel values and security: zero with multiplier 0
    out += multiplier.to_bytes(3, "big")
    out.append(setup.protocol_version)
    for c in setup.channels:
        out += c.country.encode("ascii")[:3]
    for c in setup.channels:
        out += (c.value // multiplier).to_bytes(4, "little")
    return bytes(out)


# -- counters -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counters:
    """GET COUNTERS: the device's persistent note counts (kept across power cycles)."""

    stacked: int
    stored: int = 0
    dispensed: int = 0
    transferred: int = 0  # from the store to the stacker
    rejected: int = 0


_COUNTER_FIELDS = ("stacked", "stored", "dispensed", "transferred", "rejected")


def parse_counters(data: bytes) -> Counters:
    """Parse GET COUNTERS reply data (after the generic OK): a count byte, then 4-byte LE values.

    The order is stacked, stored, dispensed, transferred from store to stacker, rejected;
    values a device does not report read as 0, extra ones are ignored.
    """
    if not data:
        raise ProtocolError("ssp: counters reply is empty")
    n = data[0]
    if n < 1 or len(data) != 1 + 4 * n:
        raise ProtocolError(f"ssp: counters reply of {len(data)} bytes for {n} counters: {data.hex()}")
    values = [int.from_bytes(data[1 + 4 * i : 5 + 4 * i], "little") for i in range(n)]
    return Counters(**dict(zip(_COUNTER_FIELDS, values, strict=False)))


def encode_counters(counters: Counters) -> bytes:
    """GET COUNTERS reply data (the emulator's side of parse_counters)."""
    out = bytearray((len(_COUNTER_FIELDS),))
    for field in _COUNTER_FIELDS:
        value = getattr(counters, field)
        if not 0 <= value <= 0xFFFF_FFFF:
            raise ProtocolError(f"ssp: counter {field}={value} does not fit 4 bytes")
        out += value.to_bytes(4, "little")
    return bytes(out)


def inhibit_mask(enabled: set[int] | frozenset[int], channels: int = 16) -> bytes:
    """SET INHIBITS data: bit = 1 enables; byte 0 bit 0 is channel 1 (1 or 2+ bytes)."""
    size = max(2, (channels + 7) // 8)
    mask = 0
    for ch in enabled:
        if not 1 <= ch <= size * 8:
            raise ProtocolError(f"ssp: channel {ch} has no bit in a {size}-byte inhibit mask")
        mask |= 1 << (ch - 1)
    return mask.to_bytes(size, "little")


def enabled_by_mask(mask: bytes) -> frozenset[int]:
    """Channels a SET INHIBITS mask enables (channels it does not cover stay inhibited)."""
    if not 1 <= len(mask) <= 3:
        raise ProtocolError(f"ssp: inhibit mask must be 1..3 bytes, not {len(mask)}")
    bits = int.from_bytes(mask, "little")
    return frozenset(i + 1 for i in range(8 * len(mask)) if bits >> i & 1)
