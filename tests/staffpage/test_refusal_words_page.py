"""A backend refusal on the staff page, in Chromium: known reasons in words alone (the code in the
tooltip); one kioskd has no words for reads as a generic phrase with its code beneath, for the call
to the operator. Real alerts and control handlers behind the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chromium import ARGS, CHROMIUM
from tests.daemon import ROOT

from .conftest import STAFF, running_page

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screens" / "staff"
UNKNOWN = "teapot: short and stout"


async def test_refusal_reasons_read_in_words_and_an_unknown_one_keeps_its_code(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    async with running_page(tmp_path) as staff_page, async_playwright() as pw:
        alerts = staff_page.daemon.alerts
        alerts.backend_refused("payment", "7", "rejected: account_frozen")
        alerts.backend_refused("batch", "3", UNKNOWN)
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(staff_page.url)
            await page.get_by_test_id("staff-id").fill("3001")
            await page.get_by_test_id("secret").fill(STAFF["3001"][2])
            await page.get_by_test_id("login-button").click()
            flagged = page.locator('[data-testid="alert"][data-code="payment_flagged"]').get_by_test_id("alert-reason")
            await expect(flagged).to_have_text("原因: 后台拒收：户号已冻结")
            await expect(flagged).to_have_attribute("title", "rejected: account_frozen")
            batch = page.locator('[data-testid="alert"][data-code="batch_refused"]').get_by_test_id("alert-reason")
            await expect(batch).to_contain_text("原因: 未列明的后台原因")
            await expect(batch.get_by_test_id("reason-code")).to_have_text(f"代码：{UNKNOWN}")
            refused = page.get_by_test_id("uplink-refused")
            await expect(refused).to_contain_text("后台拒收第 3 批")
            await expect(refused).to_contain_text("原因：未列明的后台原因）")
            await expect(refused.get_by_test_id("reason-code")).to_have_text(f"代码：{UNKNOWN}")
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "refusal-words-zh-CN.png"), full_page=True)
            await page.get_by_test_id("lang").click()
            await expect(flagged).to_have_text("Reason: refused by the backend: account frozen")
            await expect(batch.get_by_test_id("reason-code")).to_have_text(f"code: {UNKNOWN}")
            await expect(refused).to_contain_text("a backend reason not listed")
            await page.screenshot(path=str(SHOTS / "refusal-words-en.png"), full_page=True)
        finally:
            await browser.close()
