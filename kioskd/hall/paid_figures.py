"""The payment figures of local days (count, total, by status, hour, day and note) from the ledger's sums.

A payment belongs to the local day it ended (docs/spec/registers.md). The ledger groups the
payments by their end in UTC cut to the hour (or the minute, or the second:
as fine as the zone's offsets need) and by state, so a report reads a few hundred sums and not
every payment and note of its days: the daily close stays as light on day 300 as on day 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from backend_api.fields import format_utc

if TYPE_CHECKING:
    from kioskd.ledger import Ledger

TOOK_CASH = ("closed", "credited", "pending", "flagged")  # every state of a txn with notes
_WIDTHS = ((3600, 13), (60, 16), (1, 19))  # offsets in whole hours: "YYYY-MM-DDTHH"; minutes; seconds


def day_bounds(day: date, tz: str) -> tuple[str, str]:
    """The local day as UTC [since, until) in the ledger's time format."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return format_utc(start), format_utc(end)


def bucket_width(zone: ZoneInfo, first: date, last: date) -> int:
    """How many characters of a UTC time the ledger may group by so each group lies in one local hour."""
    midnights = (datetime.combine(first + timedelta(days=i), time(0), tzinfo=zone)
                 for i in range((last - first).days + 2))  # each day's, the day after the last too
    offsets = {(m.utcoffset() or timedelta()) // timedelta(seconds=1) for m in midnights}
    return next(width for unit, width in _WIDTHS if all(o % unit == 0 for o in offsets))


def _add(figures: dict[Any, dict[str, int]], key: Any, count: int, total: int) -> None:
    fig = figures.setdefault(key, {"count": 0, "total": 0})
    fig["count"] += count
    fig["total"] += total


def _sorted(figures: dict[Any, Any], key_text: Any = str) -> dict[str, Any]:
    return {key_text(k): figures[k] for k in sorted(figures)}


async def paid_figures(ledger: Ledger, first: date, last: date, tz: str,
                       days: Iterable[str] = ()) -> dict[str, Any]:
    """Payments that took cash and ended on local days first..last: their figures, and the payments
    not yet credited (oldest first); `days` (local dates) start the by-day figures at zero."""
    zone = ZoneInfo(tz)
    since, until = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    sums = await ledger.payment_figures(since, until, TOOK_CASH, bucket_width(zone, first, last))
    by_day = {day: {"count": 0, "total": 0} for day in days}
    by_hour: dict[int, dict[str, int]] = {}
    by_status: dict[str, dict[str, int]] = {}
    for at, state, count, total in sums["buckets"]:
        local = datetime.fromisoformat(at + ":00:00"[len(at) - 13:] + "+00:00").astimezone(zone)
        _add(by_day, local.date().isoformat(), count, total)
        _add(by_hour, local.hour, count, total)
        _add(by_status, state, count, total)
    count = sum(f["count"] for f in by_status.values())
    total = sum(f["total"] for f in by_status.values())
    notes = sums["notes"]
    return {
        "since": since, "until": until, "count": count, "total": total,
        "average": total // count if count else 0,  # integer fen, rounded down: money stays integral
        "by_status": _sorted(by_status), "by_hour": _sorted(by_hour, lambda h: f"{h:02d}"), "days": by_day,
        "by_note": _sorted({v: {"count": c, "total": v * c} for v, c in notes.items()}),
        "notes": sum(notes.values()), "notes_total": sum(v * c for v, c in notes.items()), "open": sums["open"],
    }
