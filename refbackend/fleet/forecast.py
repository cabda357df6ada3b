"""Cash-box fill and the day it will be full, from the rate since the box was emptied."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = 86400.0


@dataclass(frozen=True)
class BoxForecast:
    """A box now and where its rate takes it."""

    notes: int
    capacity: int  # 0: not configured
    per_day: float | None  # notes per day; None: no rate yet

    @property
    def fill(self) -> float | None:
        """Notes / capacity now, or None without a capacity."""
        return self.notes / self.capacity if self.capacity else None

    def fill_after(self, days: float) -> float | None:
        """The forecast fill `days` from now."""
        if not self.capacity:
            return None
        return (self.notes + (self.per_day or 0.0) * days) / self.capacity

    def full_on(self, today: date) -> date | None:
        """The local day the box reaches its capacity (today when it already has)."""
        if not self.capacity:
            return None
        left = self.capacity - self.notes
        if left <= 0:
            return today
        if not self.per_day:
            return None
        return today + timedelta(days=math.ceil(left / self.per_day))


def forecast(box: dict, now: datetime, rate_days: int) -> BoxForecast:
    """The forecast of a status report's `box` at `now` (aware)."""
    notes, capacity, since = box["notes"], box["capacity"], box.get("since")
    per_day = None
    if since and notes:
        elapsed = (now - datetime.fromisoformat(since)).total_seconds() / DAY
        # at least a day, so a morning's peak is not taken for the day's rate; at most rate_days
        per_day = notes / min(max(elapsed, 1.0), float(rate_days))
    return BoxForecast(notes, capacity, per_day)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The local calendar day of an aware moment."""
    return moment.astimezone(zone).date()


def day_bounds_utc(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local day, as aware UTC datetimes."""
    start = datetime.combine(day, datetime.min.time(), zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))
