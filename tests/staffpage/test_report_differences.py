"""The daily report on the staff page states the count differences as the close does: the day's by kind,
those still open bounded (count, total, per kind, the oldest carried over and the day's first ones, how
many more are not listed) with a way to the full list; in Chromium, zh-CN and en."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kioskd.hall.registers.differences import Differences
from kioskd.system.clock import CLOCK, wall_now
from tests.daemon import ROOT
from tests.registers.test_open_summary import counted
from tests.staffpage.browser import logged_in

from .conftest import STAFF, Page

SHOTS = ROOT / "artifacts" / "screens" / "staff"
KINDS = {"zh-CN": {"over": "长款", "short": "短款", "counterfeit": "假币"},
         "en": {"over": "over", "short": "short", "counterfeit": "counterfeit"}}


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def per_kind(rows: list[dict[str, Any]], lang: str) -> str:
    """'假币 5 笔（¥500.00）、…' / 'counterfeit: 5 (¥500.00); …': each kind among `rows`, as staff read it."""
    said = []
    for kind in sorted({r["kind"] for r in rows}):
        mine = [r["value"] for r in rows if r["kind"] == kind]
        name = KINDS[lang][kind]
        said.append(f"{name} {len(mine)} 笔（{yuan(sum(mine))}）" if lang == "zh-CN"
                    else f"{name}: {len(mine)} ({yuan(sum(mine))})")
    return ("、" if lang == "zh-CN" else "; ").join(said)


@pytest.mark.browser
async def test_the_daily_report_states_the_open_differences_bounded(staff_page: Page,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.async_api import expect

    ledger = staff_page.daemon.ledger
    tz = staff_page.daemon.config.kiosk.tz
    staff_page.daemon.registers = SimpleNamespace(differences=Differences(ledger, tz))
    monkeypatch.setattr(CLOCK, "offset", -3 * 86400.0)  # a count three days ago nobody settled
    earlier = await counted(ledger, "s-old", 13)
    monkeypatch.setattr(CLOCK, "offset", 0.0)
    today = await counted(ledger, "s-today", 25)
    day = wall_now().astimezone(ZoneInfo(tz)).date().isoformat()  # the report of the day they were counted
    rows = await ledger.registers.differences(status="open")
    todays = [r for r in rows if r["id"] in today]
    total = sum(r["value"] for r in rows)

    async with logged_in(staff_page.url, "2001", STAFF["2001"][2], height=1400) as page:
        await page.get_by_test_id("tab-reports").click()
        await page.get_by_test_id("report-date").fill(day)
        await page.get_by_test_id("daily-show").click()
        section = page.get_by_test_id("daily-differences")
        await expect(section.get_by_test_id("open-differences")).to_have_text(f"38 笔，合计 {yuan(total)}")
        await expect(section.get_by_test_id("open-by-kind")).to_have_text(per_kind(rows, "zh-CN"))
        await expect(section.get_by_test_id("differences-counted")).to_have_text(per_kind(todays, "zh-CN"))
        old = section.get_by_test_id("open-earlier")
        old_total = sum(r["value"] for r in rows if r["id"] in earlier)
        await expect(old.locator("p").first).to_have_text(f"此前遗留（最早的列出）: 13 笔，合计 {yuan(old_total)}")
        assert await old.locator("tr td:first-child").all_inner_texts() == [f"#{no}" for no in earlier[:10]]
        await expect(old.get_by_test_id("open-earlier-more")).to_have_text("另有 3 笔未列出")
        new = section.get_by_test_id("open-period")
        await expect(new.locator("p").first).to_have_text(
            f"当日新增: 25 笔，合计 {yuan(sum(r['value'] for r in todays))}")
        assert await new.locator("tr td:first-child").all_inner_texts() == [f"#{no}" for no in today[:20]]
        first = next(r for r in todays if r["kind"] == "counterfeit")  # a counterfeit's row names its serial
        cells = await new.locator(f"tr:has(td:text-is('#{first['id']}')) td").all_inner_texts()
        assert cells[:4] == [f"#{first['id']}", "假币", yuan(first["value"]), first["serial"]]
        await expect(new.get_by_test_id("open-period-more")).to_have_text("另有 5 笔未列出")
        await expect(section.get_by_test_id("claims-counted")).to_have_text("无")
        assert "null" not in await page.get_by_test_id("panel-reports").inner_text()  # the range not asked for yet
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "report-differences-zh-CN.png"), full_page=True)

        await page.get_by_test_id("lang").click()
        await expect(section.get_by_test_id("open-differences")).to_have_text(f"38, {yuan(total)} in all")
        await expect(section.get_by_test_id("open-by-kind")).to_have_text(per_kind(rows, "en"))
        await expect(section.get_by_test_id("open-earlier-more")).to_have_text("3 more not listed")
        await expect(section.get_by_test_id("open-period-more")).to_have_text("5 more not listed")
        await page.screenshot(path=str(SHOTS / "report-differences-en.png"), full_page=True)

        # the full list: the registers tab opens at its differences, whichever section was last shown there
        await page.get_by_test_id("tab-registers").click()
        await page.get_by_test_id("section-patrols").click()
        await expect(page.get_by_test_id("register-patrols")).to_be_visible()
        await page.get_by_test_id("tab-reports").click()
        await page.get_by_test_id("open-full-list").click()
        await expect(page.get_by_test_id("open-summary")).to_have_text(f"38 differences open, {yuan(total)} in all")
        await expect(page.get_by_test_id("differences").locator("tr[data-no]")).to_have_count(38)


@pytest.mark.browser
async def test_a_day_with_no_payment_or_difference_says_none(staff_page: Page) -> None:
    from playwright.async_api import expect

    async with logged_in(staff_page.url, "2001", STAFF["2001"][2]) as page:
        await page.get_by_test_id("tab-reports").click()
        await page.get_by_test_id("daily-show").click()
        report = page.get_by_test_id("daily-report")
        section = page.get_by_test_id("daily-differences")
        for testid in ("differences-counted", "open-differences", "claims-counted"):
            await expect(section.get_by_test_id(testid)).to_have_text("无")
        await expect(section.get_by_test_id("open-full-list")).to_have_count(0)
        # the empty figures tables: their headers and a row saying there is nothing
        for testid, head in (("by-status", "按状态缴费笔数合计"), ("by-note", "按面额缴费笔数合计")):
            await expect(report.get_by_test_id(testid).locator("tr")).to_have_text([head, "无"])
            await expect(report.get_by_test_id(f"{testid}-none")).to_have_text("无")
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "report-empty-zh-CN.png"), full_page=True)
        await page.get_by_test_id("lang").click()
        for testid in ("by-status", "by-note"):
            await expect(report.get_by_test_id(f"{testid}-none")).to_have_text("none")
        await page.screenshot(path=str(SHOTS / "report-empty-en.png"), full_page=True)
