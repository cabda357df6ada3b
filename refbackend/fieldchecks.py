"""The checks every payload schema is made of: BadRequest, times, UUIDs, amounts, short texts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from backend_api.fields import is_int


class BadRequest(Exception):
    """The payload breaks the schema; the message is the `detail` of the 400 answer."""


def require(cond: bool, detail: str) -> None:
    """BadRequest(detail) unless `cond`."""
    if not cond:
        raise BadRequest(detail)


def parse_time(payload: dict[str, Any], name: str) -> datetime:
    """An RFC 3339 UTC field with a Z, or BadRequest."""
    value = payload.get(name)
    if not isinstance(value, str) or not value.endswith("Z") or "T" not in value:
        raise BadRequest(f"{name}: RFC 3339 UTC time with Z required")
    try:
        return datetime.fromisoformat(value)
    except ValueError as err:
        raise BadRequest(f"{name}: {err}") from err


def check_uuid(value: object, name: str) -> None:
    """BadRequest unless `value` is a UUID in its lowercase text form."""
    try:
        # one spelling only (lower case, hyphens): a txn in capitals must not be a second payment
        require(isinstance(value, str) and str(uuid.UUID(value)) == value, f"{name}: lower-case UUID required")
    except ValueError as err:
        raise BadRequest(f"{name}: UUID required") from err


def check_amount(value: object, name: str) -> None:
    """BadRequest unless `value` is a positive integer (minor units)."""
    require(is_int(value) and value > 0, f"{name}: positive integer (minor units) required")


def check_text(value: object, name: str, most: int = 500, *, empty: bool = False) -> None:
    """BadRequest unless `value` is a string of at most `most` characters (not empty unless allowed)."""
    require(isinstance(value, str) and (empty or value.strip() != "") and len(value) <= most,
            f"{name}: {'' if empty else 'non-empty '}string of at most {most} characters required")
