"""The report of a range of local days (a week, a month, any range): each day's payments and total,
and the range's figures: average, by note, by status, by hour, cases, differences and claims."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from kioskd.customer.receipts.money import format_money
from kioskd.hall.cases.report import case_lines
from kioskd.hall.paid_figures import paid_figures
from kioskd.hall.registers.figures import register_figures, register_lines

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
    paid = await paid_figures(ledger, first, last, tz,
                              days=((first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)))
    since, until = paid["since"], paid["until"]
    return {
        "kiosk": kiosk, "period": period, "first": first.isoformat(), "last": last.isoformat(), "tz": tz,
        "currency": currency, "since": since, "until": until, "count": paid["count"], "total": paid["total"],
        "average": paid["average"], "days": paid["days"], "by_note": paid["by_note"],
        "by_status": paid["by_status"], "by_hour": paid["by_hour"],
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
