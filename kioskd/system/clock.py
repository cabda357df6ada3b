"""The kiosk's wall time: the system clock, corrected by the backend's when they disagree.

A kiosk may boot with its clock years off (a flat RTC battery, no NTP in the hall) or see
it stepped by hours while running. Timeouts never read the wall clock (asyncio's loop time
and time.monotonic() are monotonic). The times people read or that are stored (journal,
receipts, alerts, reports, the daily close) come from `now()`: the system clock plus the
offset learned from the backend's `Date` header whenever the two differ by more than
SKEW_LIMIT seconds. The same answer tells staff (`clock_skew`) through `on_change`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

SKEW_LIMIT = 60.0  # seconds; the backend refuses a look-up's ts beyond 300 s (spec: stale)


class Clock:
    """System time plus the offset to the backend's clock (0 while they agree)."""

    def __init__(self) -> None:
        self.offset = 0.0  # seconds to add to the system clock
        # ("skewed", seconds the backend is ahead, or None when unknown) or ("sane", None)
        self.on_change: Callable[[str, int | None], None] = lambda state, skew: None

    def now(self) -> datetime:
        """The corrected time (UTC)."""
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def observe(self, date_header: str | None) -> bool:
        """Compare with the backend's `Date` header (RFC 9110); True when the offset moved."""
        theirs = backend_time(date_header)
        if theirs is None:
            return False
        skew = (theirs - datetime.now(UTC)).total_seconds()
        if abs(skew) <= SKEW_LIMIT:
            if self.offset:
                log.warning("system clock agrees with the backend again; offset %+.0f s dropped", self.offset)
                self.offset = 0.0
                self.on_change("sane", None)
                return True
            return False
        if abs(skew - self.offset) <= SKEW_LIMIT / 2:
            return False
        log.warning("system clock is %+.0f s off the backend's; times now follow the backend", -skew)
        self.offset = float(round(skew))
        self.on_change("skewed", round(skew))
        return True

    def stale_answer(self) -> None:
        """The backend called a signed time stale but sent no usable Date: say so, keep the clock."""
        log.warning("the backend says our time is stale and sent no Date header to correct it")
        self.on_change("skewed", None)


def backend_time(date_header: str | None) -> datetime | None:
    """The time in a `Date` header, or None when missing or unusable (a proxy's odd header)."""
    if not date_header:
        return None
    try:
        theirs = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    return theirs if theirs.tzinfo is not None else None


CLOCK = Clock()  # one per process: the journal, the uplink and the reports share it


def wall_now() -> datetime:
    """Now (UTC), corrected (see Clock)."""
    return CLOCK.now()


def local_text(utc_text: str | None, tz: str, fmt: str = "%Y-%m-%d %H:%M", *, today_fmt: str | None = None,
               now: datetime | None = None) -> str:
    """A stored RFC 3339 UTC time as people read it: the kiosk's local time (`tz`) in `fmt`, or in `today_fmt`
    when it falls on today's local date (by `now`, default wall_now()); "-" for none."""
    if not utc_text:
        return "-"
    zone = ZoneInfo(tz)
    moment = datetime.fromisoformat(utc_text.replace("Z", "+00:00")).astimezone(zone)
    if today_fmt is not None and moment.date() == (now or wall_now()).astimezone(zone).date():
        fmt = today_fmt
    return moment.strftime(fmt)
