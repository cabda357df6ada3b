"""RFC 3339 UTC timestamps with a `Z`, as the backend API requires."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    """Now as RFC 3339 UTC with millisecond precision and a `Z`."""
    return format_utc(datetime.now(UTC))


def format_utc(moment: datetime) -> str:
    """Format an aware datetime as RFC 3339 UTC with a `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_utc(text: str) -> datetime:
    """Parse RFC 3339 with a `Z` suffix; raise ValueError for anything else."""
    if not isinstance(text, str) or not text.endswith("Z") or "T" not in text:
        raise ValueError(f"not an RFC 3339 UTC time with Z: {text!r}")
    return datetime.fromisoformat(text)
