"""Arguments of control requests: each read with its type checked, a clear refusal otherwise."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kioskd.control.server import ControlError
from kioskd.hall.paid_figures import day_bounds
from kioskd.system.clock import wall_now

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MISSING = object()  # no default: the argument is required


def arg(req: dict[str, Any], name: str, default: Any, ok: Callable[[Any], bool], what: str) -> Any:
    """req[name] when `ok` accepts it; `default` when absent (MISSING: a refusal)."""
    value = req.get(name, MISSING)
    if value is MISSING or value is None:
        if default is MISSING:
            raise ControlError(f"{name}: {what} required")
        return default
    if not ok(value):
        raise ControlError(f"{name}: {what} required, got {value!r}")
    return value


def str_arg(req: dict[str, Any], name: str, default: Any = MISSING) -> Any:
    """A string of 1 to 200 characters."""
    return arg(req, name, default, lambda v: isinstance(v, str) and 0 < len(v) <= 200, "a string")


def int_arg(req: dict[str, Any], name: str, default: Any = MISSING) -> Any:
    """An integer (not a boolean)."""
    return arg(req, name, default, lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer")


def bool_arg(req: dict[str, Any], name: str, default: Any = MISSING) -> Any:
    """true or false."""
    return arg(req, name, default, lambda v: isinstance(v, bool), "true or false")


def date_arg(req: dict[str, Any], tz: str, name: str = "date") -> date:
    """A local date YYYY-MM-DD (default today where the kiosk is)."""
    text = str_arg(req, name, None)
    if text is None:
        return wall_now().astimezone(ZoneInfo(tz)).date()
    try:
        return date.fromisoformat(text) if _DATE.fullmatch(text) else bad_date(name, text)
    except ValueError:
        return bad_date(name, text)


def bad_date(name: str, text: str) -> date:
    raise ControlError(f"{name}: YYYY-MM-DD required, got {text!r}")


def time_arg(req: dict[str, Any], name: str, tz: str, *, end: bool) -> str | None:
    """RFC 3339 with an offset, a local date (its start; for `until` the next day's start), or a
    local date and time without an offset (read where the kiosk is, as staff mean it)."""
    text = str_arg(req, name, None)
    if text is None:
        return None
    if _DATE.fullmatch(text):
        try:
            since, until = day_bounds(date.fromisoformat(text), tz)
        except ValueError:
            raise ControlError(f"{name}: not a date: {text!r}") from None
        return until if end else since
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ControlError(f"{name}: RFC 3339 time or YYYY-MM-DD required, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.isoformat()
