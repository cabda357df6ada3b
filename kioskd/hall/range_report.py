"""The report of a range of local days: each day's payments and total, and the range's figures."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kioskd.customer.receipts.layout import format_money
from kioskd.hall.reports import TOOK_CASH, day_bounds

if TYPE_CHECKING:
    from kioskd.ledger import Ledger

MAX_DAYS = 366  # a year at most: the range is read from the journal in one query

_TEXT = {
    "zh-CN": {"title": "区间报表", "kiosk": "终端号", "range": "期间", "count": "缴费笔数", "total": "合计",
              "days": "按日", "by_note": "按面额", "by_status": "按状态", "none": "无"},
    "en": {"title": "Range report", "kiosk": "Kiosk", "range": "Period", "count": "Payments", "total": "Total",
           "days": "By day", "by_note": "By note", "by_status": "By status", "none": "none"},
}


def range_problem(first: date, last: date) -> str | None:
    """Why [first, last] is not a range to report on, or None."""
    if last < first:
        return "the range ends before it starts"
    if (last - first).days >= MAX_DAYS:
        return f"at most {MAX_DAYS} days at once"
    return None


async def range_report(ledger: Ledger, first: date, last: date, *, tz: str, kiosk: str,
                       currency: str) -> dict[str, Any]:
    """The local days first..last (inclusive): per day count and total, by note and by status."""
    since, until = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    txns = await ledger.transactions(since=since, until=until, states=TOOK_CASH)
    zone = ZoneInfo(tz)
    days = {(first + timedelta(days=i)).isoformat(): {"count": 0, "total": 0}
            for i in range((last - first).days + 1)}
    notes: Counter[int] = Counter()
    status: dict[str, dict[str, int]] = {}
    for t in txns:
        day = datetime.fromisoformat(t.started.replace("Z", "+00:00")).astimezone(zone).date().isoformat()
        days[day]["count"] += 1
        days[day]["total"] += t.amount
        notes.update(n.value for n in t.notes)
        s = status.setdefault(t.state, {"count": 0, "total": 0})
        s["count"] += 1
        s["total"] += t.amount
    return {
        "kiosk": kiosk, "first": first.isoformat(), "last": last.isoformat(), "tz": tz, "currency": currency,
        "since": since, "until": until, "count": len(txns), "total": sum(t.amount for t in txns),
        "days": days,
        "by_note": {str(v): {"count": c, "total": v * c} for v, c in sorted(notes.items())},
        "by_status": {k: status[k] for k in sorted(status)},
    }


def range_lines(report: dict[str, Any], locale: str = "zh-CN") -> list[str]:
    """The range report as text lines, in zh-CN or en."""
    t = _TEXT[locale]

    def money(fen: int) -> str:
        return format_money(fen, report["currency"], locale)

    lines = [t["title"], f"{t['kiosk']}: {report['kiosk']}",
             f"{t['range']}: {report['first']} .. {report['last']} ({report['tz']})", "-" * 32,
             f"{t['count']}: {report['count']}", f"{t['total']}: {money(report['total'])}", "", t["days"] + ":"]
    lines += [f"  {day}  {fig['count']} / {money(fig['total'])}" for day, fig in report["days"].items()]
    lines += ["", t["by_note"] + ":"]
    lines += [f"  {money(int(v))} x {fig['count']} = {money(fig['total'])}" for v, fig in report["by_note"].items()]
    lines += ["", t["by_status"] + ":"]
    lines += [f"  {state}: {fig['count']} / {money(fig['total'])}" for state, fig in report["by_status"].items()]
    return lines
