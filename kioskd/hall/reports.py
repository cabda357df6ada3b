"""The daily report (日结) from the journal, its printout, and the daily close at a set local time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from drivers.base import ReceiptPrinter
from drivers.statefile import read_json as read_json_file
from drivers.statefile import write_json as write_json_file
from kioskd.customer.receipts.layout import format_money, render_lines, send_when_ready
from kioskd.hall.cases.report import case_lines
from kioskd.hall.paid_figures import paid_figures
from kioskd.hall.registers.figures import register_figures, register_lines
from kioskd.system.clock import wall_now

if TYPE_CHECKING:
    from kioskd.config import KioskConfig
    from kioskd.ledger import Ledger

log = logging.getLogger("kioskd.hall.reports")

_TEXT = {
    "zh-CN": {
        "title": "日结报表", "kiosk": "终端号", "date": "日期", "count": "缴费笔数", "total": "合计",
        "average": "平均", "by_status": "按状态", "by_note": "按面额", "by_hour": "按小时",
        "pending": "待确认", "flagged": "待人工处理", "box": "钱箱（自上次清机）", "box_today": "今日入箱",
        "notes": "张", "none": "无", "credited": "已入账", "closed": "待提交",
        "ratings": "客户评价", "good": "满意", "fair": "一般", "poor": "不满意",
    },
    "en": {
        "title": "Daily report", "kiosk": "Kiosk", "date": "Date", "count": "Payments", "total": "Total",
        "average": "Average", "by_status": "By status", "by_note": "By note", "by_hour": "By hour",
        "pending": "Pending", "flagged": "Flagged for staff", "box": "Cash box (since last change)",
        "box_today": "Into the box today", "notes": "notes", "none": "none", "credited": "credited",
        "closed": "to submit",
        "ratings": "Customer ratings", "good": "satisfied", "fair": "neutral", "poor": "dissatisfied",
    },
}


async def daily_report(ledger: Ledger, day: date, *, tz: str, kiosk: str, currency: str) -> dict[str, Any]:
    """The figures of one local day: payments, notes, hours, pending/flagged, cash box."""
    paid = await paid_figures(ledger, day, day, tz)
    since, until = paid["since"], paid["until"]
    box = await ledger.counters()
    return {
        "kiosk": kiosk, "date": day.isoformat(), "tz": tz, "since": since, "until": until,
        "currency": currency,
        "count": paid["count"], "total": paid["total"], "average": paid["average"],
        "by_status": paid["by_status"], "by_note": paid["by_note"], "by_hour": paid["by_hour"],
        "pending": [b for b in paid["open"] if b["state"] in ("pending", "closed")],
        "flagged": [b for b in paid["open"] if b["state"] == "flagged"],
        "box_today": {"notes": paid["notes"], "total": paid["notes_total"]},
        # the customers' optional ratings of the day's payments (满意/一般/不满意)
        "ratings": await ledger.ratings_between(since, until),
        # cases of the day, and the balance of the day's cash: box - refunds == credited + unresolved + written off
        "cases": await ledger.cases.day_figures(since, until),
        # count differences and vendor claims of the day, and the differences still open (bounded)
        "registers": await register_figures(ledger, since, until),
        "box": {
            "by_note": {str(v): c for v, c in sorted(box.items())},
            "notes": sum(box.values()), "total": sum(v * c for v, c in box.items()),
        },
    }


def report_lines(report: dict[str, Any], locale: str = "zh-CN") -> list[str]:
    """The report as text lines (screen table and printout), in zh-CN or en."""
    t = _TEXT[locale]
    cur = report["currency"]

    def money(fen: int) -> str:
        return format_money(fen, cur, locale)

    lines = [t["title"], f"{t['kiosk']}: {report['kiosk']}", f"{t['date']}: {report['date']} ({report['tz']})",
             "-" * 32, f"{t['count']}: {report['count']}", f"{t['total']}: {money(report['total'])}",
             f"{t['average']}: {money(report['average'])}", "", t["by_status"] + ":"]
    for state, fig in report["by_status"].items():
        lines.append(f"  {t.get(state, state)}: {fig['count']} / {money(fig['total'])}")
    lines += ["", t["by_note"] + ":"]
    for value, fig in report["by_note"].items():
        lines.append(f"  {money(int(value))} x {fig['count']} = {money(fig['total'])}")
    lines += ["", t["by_hour"] + ":"]
    for hour, fig in report["by_hour"].items():
        lines.append(f"  {hour}:00  {fig['count']} / {money(fig['total'])}")
    for key in ("pending", "flagged"):
        lines += ["", f"{t[key]}: {len(report[key]) or t['none']}"]
        lines += [f"  #{b['seq']} {b['account']} {money(b['amount'])}" for b in report[key]]
    ratings = report["ratings"]
    lines += ["", f"{t['ratings']}: " + ", ".join(f"{t[k]} {ratings[k]}" for k in ("good", "fair", "poor"))]
    lines += case_lines(report["cases"], locale, money)
    lines += register_lines(report["registers"], locale, money)
    today, box = report["box_today"], report["box"]
    lines += ["", f"{t['box_today']}: {today['notes']} {t['notes']} / {money(today['total'])}",
              f"{t['box']}: {box['notes']} {t['notes']} / {money(box['total'])}"]
    lines += [f"  {money(int(v))} x {c}" for v, c in box["by_note"].items()]
    return lines


async def print_report(printer: ReceiptPrinter, report: dict[str, Any], *, locale: str, encoding: str) -> bool:
    """Print the report on the receipt printer; False when the printer is not ready or fails."""
    lines = report_lines(report, "en" if encoding == "ascii" else locale)
    return await send_when_ready(printer, render_lines(lines, encoding=encoding),
                                 f"daily report {report['date']}")


class DailyClose:
    """Closes each local day at `at` (HH:MM): report stored in the audit chain, printed if set."""

    def __init__(self, ledger: Ledger, printer: ReceiptPrinter, *, kiosk: KioskConfig, encoding: str,
                 flush: Callable[[str], None], at: str, printed: bool, state_file: Path,
                 box_check: Callable[[date], Awaitable[dict[str, Any]]] | None = None) -> None:
        self.ledger = ledger
        self.printer = printer
        self.kiosk = kiosk  # id, currency, time zone and locale of the report
        self.encoding = encoding  # the printer's
        self.flush = flush  # send the audit chain to the backend now (the batch scheduler)
        self.at = time.fromisoformat(at)
        self.printed = printed
        self.state_file = state_file
        self.box_check = box_check  # [close] box_emptied: the alert when no session emptied the box
        self.closed: set[str] = set()

    async def run(self) -> None:
        """Close today if its time has passed and it is not closed yet, then every day at `at`."""
        saved = await asyncio.to_thread(read_json_file, self.state_file) or {}
        self.closed = set(saved.get("closed", []))
        while True:
            zone = ZoneInfo(self.kiosk.tz)
            now = wall_now().astimezone(zone)
            due = datetime.combine(now.date(), self.at, tzinfo=zone)
            if now >= due and now.date().isoformat() not in self.closed:
                await self.close(now.date())
                continue
            if now >= due:
                due += timedelta(days=1)
            # a minute at most: a clock stepped or corrected meanwhile moves the close with it
            await asyncio.sleep(min(60.0, max(1.0, (due - now).total_seconds())))

    async def close(self, day: date, by: dict[str, Any] | None = None) -> dict[str, Any]:
        """Close `day`: build the report, append it to the audit chain (with `by`, the person who
        ran it, when not the schedule), print it if configured."""
        k = self.kiosk
        report = await daily_report(self.ledger, day, tz=k.tz, kiosk=k.id, currency=k.currency)
        if self.box_check is not None:
            report["box_emptied"] = await self.box_check(day)
        # the open differences are read with the entry's append: what it signs is the chain's state there
        seq, digest, still_open = await self.ledger.registers.append_close(
            {**report, **(by or {})}, report["since"], report["until"])
        report = {**report, "registers": {**report["registers"], "open": still_open},
                  "audit": {"seq": seq, "hash": digest}}
        # the report's audit entry goes to the backend in a batch sent now (spec: at the daily close)
        self.flush(f"daily close {day}")
        log.info("daily close %s: %d payments, %d fen (audit #%d)", day, report["count"], report["total"], seq)
        if not report["cases"]["balance"]["balanced"]:
            # a yuan with two outcomes, or none recorded: the journal says so, staff must look
            log.critical("daily close %s: the day's cash does not balance: %s", day, report["cases"]["balance"])
        self.closed = {*sorted({*self.closed, day.isoformat()})[-60:]}  # weeks of uptime: the last 60 days
        await asyncio.to_thread(write_json_file, self.state_file, {"closed": sorted(self.closed)})
        if self.printed:
            report["printed"] = await print_report(
                self.printer, report, locale=k.locale, encoding=self.encoding)
        return report
