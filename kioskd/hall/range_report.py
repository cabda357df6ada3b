"""The report of a range of local days (a week, a month, any range): each day's payments and total,
and the range's figures: average, by note, by status, by hour, cases, differences and claims."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kioskd.customer.receipts.layout import format_money
from kioskd.hall.cases.report import case_lines
from kioskd.hall.registers.figures import register_figures, register_lines
from kioskd.hall.reports import TOOK_CASH, day_bounds

if TYPE_CHECKING:
    from kioskd.ledger import Ledger

MAX_DAYS = 366  # a year at most: the range is read from the journal in one query

_TEXT = {
    "zh-CN": {"title": "区间报表", "kiosk": "终端号", "range": "期间", "count": "缴费笔数", "total": "合计",
              "days": "按日", "by_note": "按面额", "by_status": "按状态", "none": "无", "average": "平均",
              "by_hour": "按小时", "week": "周报表", "month": "月报表"},
    "en": {"title": "Range report", "kiosk": "Kiosk", "range": "Period", "count": "Payments", "total": "Total",
           "days": "By day", "by_note": "By note", "by_status": "By status", "none": "none", "average": "Average",
           "by_hour": "By hour", "week": "Weekly report", "month": "Monthly report"},
}


def week_of(day: date) -> tuple[date, date]:
    """The week (Monday to Sunday) that holds `day`."""
    first = day - timedelta(days=day.weekday())
    return first, first + timedelta(days=6)


def month_of(day: date) -> tuple[date, date]:
    """The calendar month that holds `day`: its first and last days."""
    first = day.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def range_problem(first: date, last: date) -> str | None:
    """Why [first, last] is not a range to report on, or None."""
    if last < first:
        return "the range ends before it starts"
    if (last - first).days >= MAX_DAYS:
        return f"at most {MAX_DAYS} days at once"
    return None


async def range_report(ledger: Ledger, first: date, last: date, *, tz: str, kiosk: str,
                       currency: str, period: str = "range") -> dict[str, Any]:
    """The local days first..last (inclusive): per day count and total, by note and by status."""
    since, until = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    txns = await ledger.transactions(since=since, until=until, states=TOOK_CASH, by="ended")
    zone = ZoneInfo(tz)
    days = {(first + timedelta(days=i)).isoformat(): {"count": 0, "total": 0}
            for i in range((last - first).days + 1)}
    notes: Counter[int] = Counter()
    status: dict[str, dict[str, int]] = {}
    hours: dict[int, dict[str, int]] = {}
    for t in txns:
        ended = datetime.fromisoformat(str(t.ended).replace("Z", "+00:00")).astimezone(zone)  # its day
        day = ended.date().isoformat()
        h = hours.setdefault(ended.hour, {"count": 0, "total": 0})
        h["count"] += 1
        h["total"] += t.amount
        days[day]["count"] += 1
        days[day]["total"] += t.amount
        notes.update(n.value for n in t.notes)
        s = status.setdefault(t.state, {"count": 0, "total": 0})
        s["count"] += 1
        s["total"] += t.amount
    total = sum(t.amount for t in txns)
    return {
        "kiosk": kiosk, "period": period, "first": first.isoformat(), "last": last.isoformat(), "tz": tz,
        "currency": currency, "since": since, "until": until, "count": len(txns), "total": total,
        "average": total // len(txns) if txns else 0,  # integer fen, rounded down
        "days": days,
        "by_note": {str(v): {"count": c, "total": v * c} for v, c in sorted(notes.items())},
        "by_status": {k: status[k] for k in sorted(status)},
        "by_hour": {f"{h:02d}": hours[h] for h in sorted(hours)},
        "cases": await ledger.cases.day_figures(since, until),
        "registers": await register_figures(ledger, since, until),
    }


def range_lines(report: dict[str, Any], locale: str = "zh-CN") -> list[str]:
    """The range report as text lines, in zh-CN or en."""
    t = _TEXT[locale]

    def money(fen: int) -> str:
        return format_money(fen, report["currency"], locale)

    lines = [t.get(report.get("period", "range"), t["title"]), f"{t['kiosk']}: {report['kiosk']}",
             f"{t['range']}: {report['first']} .. {report['last']} ({report['tz']})", "-" * 32,
             f"{t['count']}: {report['count']}", f"{t['total']}: {money(report['total'])}",
             f"{t['average']}: {money(report.get('average', 0))}", "", t["days"] + ":"]
    lines += [f"  {day}  {fig['count']} / {money(fig['total'])}" for day, fig in report["days"].items()]
    lines += ["", t["by_note"] + ":"]
    lines += [f"  {money(int(v))} x {fig['count']} = {money(fig['total'])}" for v, fig in report["by_note"].items()]
    lines += ["", t["by_status"] + ":"]
    lines += [f"  {state}: {fig['count']} / {money(fig['total'])}" for state, fig in report["by_status"].items()]
    if "by_hour" in report:
        lines += ["", t["by_hour"] + ":"]
        lines += [f"  {hour}:00  {fig['count']} / {money(fig['total'])}" for hour, fig in report["by_hour"].items()]
        lines += case_lines(report["cases"], locale, money)
        lines += register_lines(report["registers"], locale, money)
    return lines
