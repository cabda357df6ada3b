"""The staff page's cases tab in real Chromium against a whole simulated kiosk: a flagged payment's
case opened and re-credited after the holder was looked up; a second one refunded with a manager's
PIN, its voucher printed; a claim; in zh-CN and English; the page never raises a script error."""

from __future__ import annotations

import pytest

from tests.daemon import ROOT, RunningKiosk
from tests.screen.test_browser import ARGS, CHROMIUM
from tests.staffpage.test_phone import flagged_payment, hall  # noqa: F401 - hall: the module's kiosk fixture

from .conftest import STAFF

SHOTS = ROOT / "artifacts" / "screens" / "staff"
pytestmark = [
    pytest.mark.slow, pytest.mark.browser, pytest.mark.asyncio(loop_scope="module"),
]


async def test_a_case_from_opening_to_its_outcome_in_the_browser(hall: tuple[RunningKiosk, str]) -> None:  # noqa: F811
    from playwright.async_api import async_playwright, expect

    kiosk, url = hall
    await flagged_payment(kiosk, "0012345678", 10000)
    await flagged_payment(kiosk, "0023456789", 2000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda err: errors.append(str(err)))
            await page.goto(url)
            await page.get_by_test_id("staff-id").fill("2001")
            await page.get_by_test_id("secret").fill(STAFF["2001"][2])
            await page.get_by_test_id("login-button").click()
            await page.get_by_test_id("tab-cases").click()
            await expect(page.get_by_test_id("tab-cases")).to_have_text("差错单")

            # open a case on payment 1, with the customer's phone and what they said
            await page.locator("[data-testid=case-new] summary").click()
            await page.get_by_test_id("c-ref").fill("1")
            await page.get_by_test_id("c-phone").fill("13912345678")
            await page.get_by_test_id("c-note").fill("客户称户号刚被注销，要求改入家人户号 0034567890")
            await page.get_by_test_id("case-open").click()
            detail = page.get_by_test_id("case-detail")
            await expect(detail).to_have_attribute("data-status", "open")
            await expect(page.get_by_test_id("cd-payment")).to_contain_text("#1 · 0012345678")
            await expect(page.get_by_test_id("cd-payment")).to_contain_text("待人工处理")
            await expect(page.get_by_test_id("cd-may")).to_have_text("添加备注、改入正确户号、柜台退款、核销")
            # the account staff type is looked up; its holder is shown before anything is asked
            await page.get_by_test_id("ca-recredit-account").fill("0034567890")
            await page.get_by_test_id("ca-recredit-lookup").click()
            await expect(page.get_by_test_id("ca-recredit-holder")).to_have_text("确认户名为 王*")
            await page.get_by_test_id("ca-recredit-reason").fill("客户出示家人户号，本人确认")
            await page.screenshot(path=str(SHOTS / "case-open-zh-CN.png"), full_page=True)
            await page.get_by_test_id("ca-recredit-go").click()
            await expect(detail).to_have_attribute("data-status", "resolved")
            await expect(page.get_by_test_id("cd-outcomes")).to_contain_text("改入正确户号 · 完成 · ¥100.00 → 0034567890 王*")
            await expect(page.get_by_test_id("cd-steps").locator("li")).to_have_count(4)
            await page.get_by_test_id("case-evidence").click()
            await expect(page.get_by_test_id("case-evidence-text")).to_contain_text("差错单证据")
            await expect(page.get_by_test_id("case-evidence-text")).not_to_contain_text("13912345678")
            await page.screenshot(path=str(SHOTS / "case-resolved-zh-CN.png"), full_page=True)

            # in English: the second payment refunded at the counter, a manager approving with their PIN
            await page.get_by_test_id("lang").click()
            await page.get_by_test_id("tab-cases").click()
            await page.get_by_test_id("case-back").click()
            await page.locator("[data-testid=case-new] summary").click()
            await page.get_by_test_id("c-ref").fill("2")
            await page.get_by_test_id("case-open").click()
            await expect(detail).to_have_attribute("data-no", "2")
            await page.get_by_test_id("ca-refund-reason").fill("account closed; the customer wants the cash back")
            await page.get_by_test_id("ca-refund-approver").fill("2001")  # the payer cannot approve
            await page.get_by_test_id("ca-refund-pin").fill(STAFF["2001"][2])
            await page.get_by_test_id("ca-refund-go").click()
            await expect(page.get_by_test_id("error")).to_contain_text("second person")
            await expect(detail).to_have_attribute("data-status", "open")
            await page.get_by_test_id("ca-refund-approver").fill("3001")
            await page.get_by_test_id("ca-refund-pin").fill(STAFF["3001"][2])
            await page.get_by_test_id("ca-refund-lang").select_option("en")
            await page.get_by_test_id("ca-refund-go").click()
            await expect(detail).to_have_attribute("data-status", "resolved")
            await expect(page.get_by_test_id("done")).to_have_text("Refund voucher printed")
            await expect(page.get_by_test_id("cd-steps")).to_contain_text("2001 王芳 / 3001 赵经理")
            lines = await kiosk.until_printed("REFUND VOUCHER")
            assert "Approved by: 3001 赵经理" in lines and "Paid by: 2001 王芳" in lines
            await page.screenshot(path=str(SHOTS / "case-refund-en.png"), full_page=True)

            await page.get_by_test_id("case-back").click()
            await page.get_by_role("button", name="All").click()
            await expect(page.get_by_test_id("case")).to_have_count(2)
            await page.screenshot(path=str(SHOTS / "cases-en.png"), full_page=True)
            assert errors == []
        finally:
            await browser.close()
