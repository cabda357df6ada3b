"""backend_unreachable and clock_skew tell staff their details in words, zh-CN and en, on the staff page
and in kioskctl: why and since when the backend does not answer, how many requests failed, the last
answer; how far the clock is off and what it read; times in the kiosk's zone. A whole simulated kiosk
whose backend goes down, real Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.daemon import ROOT
from tests.staff.conftest import Staff

from .browser import logged_in
from .conftest import STAFF
from .test_daemon_page import kiosk_with_page
from .test_device_alert_words import no_latin_but_the_device_said

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = ROOT / "artifacts" / "screens" / "staff"
# a clock_skew open when the kiosk last stopped (a real one needs the backend's clock apart from the
# kiosk's: tests/power/test_clock_skew.py); restored at start as any open alert is
SKEW = {"id": "c10c5k3w-0000-4000-8000-000000000001", "code": "clock_skew", "severity": "warning",
        "state": "raised", "at": "2026-12-03T06:30:00Z", "raised_at": "2026-12-03T06:30:00Z",
        "acknowledged_by": "", "device": "kiosk",
        "detail": {"behind_s": 600, "system_clock": "2026-12-03T06:20:00Z", "device": "kiosk"}}
SKEW_WORDS = ("本机时钟比后台慢 10 分钟，时间已按后台校正（告警时本机时钟显示 2026-12-03 14:20:00）",
              "the kiosk's clock is 10 min behind the backend's; times follow the backend "
              "(the kiosk's clock read 2026-12-03 14:20:00)")
DOWN = re.compile(r"后台服务出错（状态码 503）；自 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 起请求失败，报警时已失败 (\d+) 次；最后一次联系上后台：")


async def test_link_and_clock_alerts_read_their_details_in_both_languages(tmp_path: Path) -> None:
    from playwright.async_api import expect

    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "alerts.json").write_text(json.dumps({"open": [SKEW], "recent": []}), encoding="utf-8")
    async with kiosk_with_page(tmp_path, STAFF, backend="unreachable_after = 0.5\n") as (kiosk, url):
        ctl = Staff(kiosk)
        await kiosk.fault("backend_down", True)  # the reference backend answers 503
        await kiosk.press(*"0012345678", "confirm")  # a customer's look-up finds it down
        down = await ctl.until_alert("backend_unreachable")
        assert DOWN.match(down["cause_zh"]) and "HTTP 503" in down["cause_detail"], down
        skew = await ctl.until_alert("clock_skew")
        assert (skew["cause_zh"], skew["cause_en"]) == SKEW_WORDS

        code, text = await ctl.run("alerts")
        assert code == 0 and f"时钟偏差：{SKEW_WORDS[0]}" in text and DOWN.search(text), text
        code, text = await ctl.run("alerts", "--lang", "en")
        assert code == 0 and f"clock off the backend's: {SKEW_WORDS[1]}" in text, text
        assert "the backend answered with an error (HTTP 503); " in text and re.search(r" requests? failed before the alert", text)

        async with logged_in(url, "3001", STAFF["3001"][2]) as page:
            link = page.locator('[data-testid="alert"][data-code="backend_unreachable"]')
            clock = page.locator('[data-testid="alert"][data-code="clock_skew"]')
            await expect(clock.get_by_test_id("alert-reason")).to_have_text(f"原因: {SKEW_WORDS[0]}")
            await expect(link.get_by_test_id("alert-reason")).to_have_text(f"原因: {down['cause_zh']}")
            await expect(link.get_by_test_id("alert-raw")).to_contain_text("HTTP 503")
            # the link's own error, not a device's
            await expect(link.get_by_test_id("alert-raw")).to_have_text(re.compile(r"^通信原文："))
            for card in (link, clock):
                await no_latin_but_the_device_said(card)
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "link-clock-alert-words-zh-CN.png"), full_page=True)
            await page.get_by_test_id("lang").click()
            await expect(clock.get_by_test_id("alert-reason")).to_have_text(f"Reason: {SKEW_WORDS[1]}")
            await expect(link.get_by_test_id("alert-reason")).to_have_text(f"Reason: {down['cause_en']}")
            await expect(link.get_by_test_id("alert-raw")).to_have_text(re.compile(r"^the link said: .*HTTP 503"))
            await page.screenshot(path=str(SHOTS / "link-clock-alert-words-en.png"), full_page=True)
        await kiosk.fault("backend_down", False)
