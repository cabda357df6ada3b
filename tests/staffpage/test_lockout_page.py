"""A staff member locked out reads on the staff page when to try again: the time alone when the
lock-out ends today, with the date when it ends on another day (a long configured lock-out), in Chromium."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.chromium import ARGS, CHROMIUM
from tests.daemon import ROOT

from .conftest import running_page

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screens" / "staff"
KIOSK_TZ = "Asia/Shanghai"  # the kiosk's [kiosk] tz: the page's times read as its clock does
PHONE_TZ = "America/Los_Angeles"  # a phone set to another zone (a visiting engineer's) is not asked


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_a_lockout_ending_on_another_day_names_the_date(tmp_path: Path, lang: str) -> None:
    from playwright.async_api import async_playwright, expect

    async with running_page(tmp_path, custody={"max_failures": 2, "lockout": 2 * 86400.0}) as staff_page, \
            async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 780}, timezone_id=PHONE_TZ)
            await page.goto(staff_page.url)
            if lang == "en":
                await page.get_by_test_id("lang").click()
            tries_left, locked = {"zh-CN": ("还可再试 1 次", "已锁定"), "en": ("1 tries left", "locked")}[lang]
            for told in (tries_left, locked):  # each answer read before the next try
                await page.get_by_test_id("staff-id").fill("2002")
                await page.get_by_test_id("secret").fill("999999")
                await page.get_by_test_id("login-button").click()
                await expect(page.get_by_test_id("login-error")).to_contain_text(told)
            [row] = [m for m in await staff_page.daemon.ledger.staff_list() if m.id == "2002"]
            assert row.locked_until and staff_page.daemon.config.kiosk.tz == KIOSK_TZ
            ends = datetime.fromisoformat(row.locked_until.replace("Z", "+00:00")).astimezone(ZoneInfo(KIOSK_TZ))
            assert ends.date() - datetime.now(ZoneInfo(KIOSK_TZ)).date() >= timedelta(days=1)
            words = {"zh-CN": f"该工号已锁定，请于 {ends:%Y-%m-%d %H:%M} 后再试",
                     "en": f"This staff ID is locked until {ends:%Y-%m-%d %H:%M}"}[lang]
            await expect(page.get_by_test_id("login-error")).to_have_text(words)
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / f"locked-another-day-{lang}.png"))
        finally:
            await browser.close()
