"""Field encodings of the contract: JSON integers and RFC 3339 UTC times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeGuard


def is_int(value: object) -> TypeGuard[int]:
    """True for a JSON integer (bool is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def format_utc(moment: datetime) -> str:
    """A timezone-aware datetime as fixed-width RFC 3339 UTC text with milliseconds and a Z."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: times must carry a timezone")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
