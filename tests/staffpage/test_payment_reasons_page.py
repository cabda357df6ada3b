"""Why a payment exists and how it ended, both on the staff page (payment and case views), in Chromium:
a held note that landed after its payment ended was booked to a follow-up payment the backend then
refused. Real journal, control handlers and page behind it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kioskd.hall.cases.service import Cases
from tests.chromium import launched
from tests.daemon import ROOT
from tests.ledger.conftest import follow_up_refused

from .conftest import STAFF, running_page

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screens" / "staff"


async def test_a_follow_up_payment_says_why_it_exists_and_how_it_ended(tmp_path: Path) -> None:
    from playwright.async_api import expect

    async with running_page(tmp_path) as staff_page, launched() as browser:
        d = staff_page.daemon
        first, follow_up = await follow_up_refused(d.ledger)
        # the case procedure over the same journal (opening a case and reading it need no backend or printer)
        d.cases = Cases(ledger=d.ledger, client=None, sender=None, alerts=d.alerts, printer=None, config=d.config)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(staff_page.url)
        await page.get_by_test_id("staff-id").fill("3001")
        await page.get_by_test_id("secret").fill(STAFF["3001"][2])
        await page.get_by_test_id("login-button").click()
        await page.get_by_test_id("tab-txns").click()
        await page.get_by_test_id("q-ref").fill("2")
        await page.get_by_test_id("txn-search-button").click()
        detail = page.get_by_test_id("txn-detail")
        await expect(detail.get_by_test_id("d-opened")).to_have_text(
            f"上一笔缴费（{first}）结束后才入箱的纸币，单独记为本笔缴费")
        await expect(detail.get_by_test_id("d-reason")).to_have_text("后台拒收：户号已销户")
        await expect(detail).to_contain_text("本笔来由")
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "payment-reasons-zh-CN.png"), full_page=True)
        await page.get_by_test_id("lang").click()
        await expect(detail.get_by_test_id("d-opened")).to_have_text(
            f"a note that reached the box after payment {first} had ended, booked as this payment")
        await expect(detail.get_by_test_id("d-reason")).to_have_text("refused by the backend: account closed")
        await expect(detail).to_contain_text("Why this payment exists")
        await page.screenshot(path=str(SHOTS / "payment-reasons-en.png"), full_page=True)

        session = await staff_page.logged_in("3001")
        async with session.post(staff_page.url + "api/cases", json={"ref": follow_up}) as resp:
            assert resp.status == 200, await resp.text()
        await page.get_by_test_id("tab-cases").click()
        await page.get_by_test_id("cases").locator("li").first.click()
        await expect(page.get_by_test_id("cd-opened")).to_have_text(
            f"a note that reached the box after payment {first} had ended, booked as this payment")
        await expect(page.get_by_test_id("cd-payment")).to_contain_text("(refused by the backend: account closed)")
        await page.get_by_test_id("lang").click()
        await expect(page.get_by_test_id("cd-payment")).to_contain_text("(后台拒收：户号已销户)")
        await expect(page.get_by_test_id("cd-opened")).to_contain_text(f"上一笔缴费（{first}）结束后才入箱的纸币")
        await page.screenshot(path=str(SHOTS / "case-payment-reasons-zh-CN.png"), full_page=True)
