"""ccTalk bill table: bill ids (157), country scaling factors (156), values in fen, inhibit masks.

Pure functions of bytes (stdlib + drivers.errors only), both directions (the emulator encodes).
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import ProtocolError

BILL_TYPES = range(1, 17)  # the 16 bits of the inhibit mask


# -- bill table: bill id (157) and country scaling factor (156) ------------------------------


@dataclass(frozen=True, slots=True)
class BillId:
    """A 157 reply ``CCVVVVI``: country code, value in scaled units, issue letter."""

    country: str
    value: int
    issue: str

    def encode(self) -> bytes:
        """The 7 ASCII bytes."""
        return f"{self.country:2.2s}{self.value:04d}{self.issue:1.1s}".encode("ascii")


def parse_bill_id(data: bytes) -> BillId | None:
    """Parse a 157 reply; None for an unprogrammed bill type (dots, blanks or zeros)."""
    if len(data) != 7:
        raise ProtocolError(f"cctalk: bill id of {len(data)} bytes, expected 7: {data.hex()}")
    if data.strip(b". \x00") == b"":
        return None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as err:
        raise ProtocolError(f"cctalk: bill id is not ASCII: {data.hex()}") from err
    country, digits, issue = text[:2], text[2:6], text[6]
    if not (country.isalpha() and country.isupper() and digits.isdigit()):
        raise ProtocolError(f"cctalk: bill id {text!r} is not CCVVVVI")
    return BillId(country, int(digits), issue)


@dataclass(frozen=True, slots=True)
class Scaling:
    """A 156 reply: the value of one bill-id unit is ``factor`` in units of 10**-decimals."""

    factor: int
    decimals: int

    def encode(self) -> bytes:
        """The 3 reply bytes: factor LSB, factor MSB, decimal places."""
        return bytes((self.factor & 0xFF, self.factor >> 8, self.decimals))


def parse_scaling(data: bytes) -> Scaling:
    """Parse a 156 reply ``factor LSB, factor MSB, decimals``; an unknown country is all zero."""
    if len(data) != 3:
        raise ProtocolError(f"cctalk: scaling reply of {len(data)} bytes, expected 3: {data.hex()}")
    return Scaling(data[0] | data[1] << 8, data[2])


def bill_value_fen(bill: BillId, scaling: Scaling, minor_digits: int = 2) -> int:
    """A bill's value in fen: VVVV * factor at `decimals` places, rescaled to 2 places."""
    if scaling.factor == 0:
        raise ProtocolError(f"cctalk: country {bill.country} has no scaling factor")
    amount = bill.value * scaling.factor
    shift = minor_digits - scaling.decimals
    if shift >= 0:
        return int(amount * 10**shift)  # int: mypy cannot tell shift >= 0 here
    value, rest = divmod(amount, 10**-shift)
    if rest:
        raise ProtocolError(f"cctalk: {bill.country}{bill.value:04d} is worth a fraction of a fen")
    return int(value)


def inhibit_mask(enabled_types: set[int] | frozenset[int]) -> bytes:
    """231 data: bit = 1 enables; byte 0 bit 0 is bill type 1."""
    mask = 0
    for bill_type in enabled_types:
        if bill_type not in BILL_TYPES:
            raise ProtocolError(f"cctalk: bill type {bill_type} has no bit in the inhibit mask")
        mask |= 1 << (bill_type - 1)
    return bytes((mask & 0xFF, mask >> 8))


def enabled_by_mask(mask: bytes) -> frozenset[int]:
    """Bill types a 2-byte 231 mask enables."""
    if len(mask) != 2:
        raise ProtocolError(f"cctalk: inhibit mask must be 2 bytes, not {len(mask)}")
    bits = mask[0] | mask[1] << 8
    return frozenset(t for t in BILL_TYPES if bits >> (t - 1) & 1)
