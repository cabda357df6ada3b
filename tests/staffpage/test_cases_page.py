"""The staff page's cases tab in real Chromium against a whole simulated kiosk: a flagged payment's
case opened and re-credited after the holder was looked up; a second one refunded with a manager's
PIN, its voucher printed; a wrong account voided and moved, a flagged payment written off, a claim
rejected, with its evidence; in zh-CN and English; the page never raises a script error.
The tests share the module's kiosk and read their payments' serial numbers, in any order."""

from __future__ import annotations

import pytest

from tests.daemon import ROOT, RunningKiosk
from tests.staff.conftest import pay
from tests.staffpage.browser import logged_in
from tests.staffpage.test_phone import flagged_payment, hall  # noqa: F401 - hall: the module's kiosk fixture

from .conftest import STAFF

SHOTS = ROOT / "artifacts" / "screens" / "staff"
CORRECTION_WAIT = 20_000  # ms: a backend timeout (5 s), the outbox's backoff and the page's 3 s refresh
pytestmark = [
    pytest.mark.slow, pytest.mark.browser, pytest.mark.asyncio(loop_scope="module"),
]


async def test_a_case_from_opening_to_its_outcome_in_the_browser(hall: tuple[RunningKiosk, str]) -> None:  # noqa: F811
    from playwright.async_api import expect

    kiosk, url = hall
    first = await flagged_payment(kiosk, "0012345678", 10000)
    second = await flagged_payment(kiosk, "0023456789", 2000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with logged_in(url, "2001", STAFF["2001"][2], width=1100) as page:
        await page.get_by_test_id("tab-cases").click()
        await expect(page.get_by_test_id("tab-cases")).to_have_text("差错单")

        # open a case on payment 1, with the customer's phone and what they said
        await page.locator("[data-testid=case-new] summary").click()
        await page.get_by_test_id("c-ref").fill(str(first))
        await page.get_by_test_id("c-phone").fill("13912345678")
        await page.get_by_test_id("c-note").fill("客户称户号刚被注销，要求改入家人户号 0034567890")
        await page.get_by_test_id("case-open").click()
        detail = page.get_by_test_id("case-detail")
        await expect(detail).to_have_attribute("data-status", "open")
        await expect(page.get_by_test_id("cd-payment")).to_contain_text(f"#{first} · 0012345678")
        await expect(page.get_by_test_id("cd-payment")).to_contain_text("待人工处理")
        await expect(page.get_by_test_id("cd-may")).to_have_text("添加备注、改入正确户号、柜台退款、核销")
        # the account staff type is looked up; its holder is shown before anything is asked
        await page.get_by_test_id("ca-recredit-account").fill("0034567890")
        await page.get_by_test_id("ca-recredit-lookup").click()
        await expect(page.get_by_test_id("ca-recredit-holder")).to_have_text("确认户名为 王*")
        await page.get_by_test_id("ca-recredit-reason").fill("客户出示家人户号，本人确认")
        await page.screenshot(path=str(SHOTS / "case-open-zh-CN.png"), full_page=True)
        await page.get_by_test_id("ca-recredit-go").click()
        await expect(detail).to_have_attribute("data-status", "resolved", timeout=CORRECTION_WAIT)
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
        await page.get_by_test_id("c-ref").fill(str(second))
        await page.get_by_test_id("case-open").click()
        await expect(page.get_by_test_id("cd-payment")).to_contain_text(f"#{second} · 0023456789")
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
        await expect(page.get_by_test_id("cd-steps")).to_contain_text("paid by 2001 王芳 / approved by 3001 赵经理")
        lines = await kiosk.until_printed("REFUND VOUCHER")
        assert "Approved by: 3001 赵经理" in lines and "Paid by: 2001 王芳" in lines
        await page.screenshot(path=str(SHOTS / "case-refund-en.png"), full_page=True)

        await page.get_by_test_id("case-back").click()
        await page.get_by_role("button", name="All").click()
        await expect(page.get_by_test_id("case").filter(has_text="已办结")).to_have_count(0)  # all in English
        await expect(page.get_by_test_id("case").filter(has_text="resolved").first).to_be_visible()
        await page.screenshot(path=str(SHOTS / "cases-en.png"), full_page=True)


async def test_a_manager_voids_writes_off_and_rejects_in_the_browser(hall: tuple[RunningKiosk, str]) -> None:  # noqa: F811
    from playwright.async_api import expect

    kiosk, url = hall
    wrong = int((await pay(kiosk, "0034567890", [5000]))["result"]["seq"])  # credited to the wrong account
    flagged = await flagged_payment(kiosk, "0023456789", 1000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with logged_in(url, "3001", STAFF["3001"][2], width=1100) as page:
        await page.get_by_test_id("tab-cases").click()
        detail = page.get_by_test_id("case-detail")

        async def open_case(**fields: str) -> None:
            await page.locator("[data-testid=case-new] summary").click()
            for name, value in fields.items():
                await page.get_by_test_id(f"c-{name}").fill(value)
            await page.get_by_test_id("case-open").click()
            await expect(detail).to_have_attribute("data-status", "open")

        async def back() -> None:
            await page.get_by_test_id("case-back").click()
            await expect(detail).to_have_count(0)

        # paid into the wrong account: void and move, after a blocked account is refused in Chinese
        await open_case(ref=str(wrong), note="客户输错户号，应为 0012345678")
        await expect(page.get_by_test_id("cd-payment")).to_contain_text(f"#{wrong} · 0034567890")
        await expect(page.get_by_test_id("cd-may")).to_have_text("添加备注、冲正并转入正确户号、结案（无需处理款项）、驳回申诉")
        await page.get_by_test_id("ca-void-account").fill("0099999999")
        await page.get_by_test_id("ca-void-lookup").click()
        await expect(page.get_by_test_id("error")).to_contain_text("户号 0099999999 不可缴费")
        await expect(page.get_by_test_id("ca-void-holder")).to_have_count(0)
        await page.get_by_test_id("ca-void-account").fill("0012345678")
        await page.get_by_test_id("ca-void-lookup").click()
        await expect(page.get_by_test_id("ca-void-holder")).to_have_text("确认户名为 张*明")
        await page.get_by_test_id("ca-void-reason").fill("客户输错户号，本人确认")
        await page.get_by_test_id("ca-void-go").click()
        await expect(detail).to_have_attribute("data-status", "resolved", timeout=CORRECTION_WAIT)
        await expect(page.get_by_test_id("cd-outcomes")).to_contain_text("冲正并转入正确户号 · 完成 · ¥50.00 → 0012345678 张*明")
        await expect(page.get_by_test_id("cd-steps")).to_contain_text("0034567890 → 0012345678 · ¥50.00 · 原因: 客户输错户号，本人确认")
        await expect(page.get_by_test_id("cd-steps")).to_contain_text("已接受 · 0034567890 → 0012345678 · ¥50.00 · 参考号 V-")
        await page.screenshot(path=str(SHOTS / "case-void-zh-CN.png"), full_page=True)
        await back()

        # a flagged payment the customer never came back for: written off by the manager
        await open_case(ref=str(flagged))
        await page.get_by_test_id("ca-writeoff-reason").fill("客户未再联系")
        await page.get_by_test_id("ca-writeoff-go").click()
        await expect(detail).to_have_attribute("data-status", "resolved")
        await expect(page.get_by_test_id("cd-outcomes")).to_contain_text("核销 · 完成 · ¥10.00")
        await back()

        # a claim no count has checked: no money action yet; rejected, its evidence in Chinese
        await open_case(claim="50", account="0012345678", note="客户称 50 元未计入")
        await expect(page.get_by_test_id("cd-count")).to_have_text("尚未清点")
        await expect(page.get_by_test_id("cd-may")).to_have_text("添加备注、结案（无需处理款项）、驳回申诉")
        await page.get_by_test_id("ca-reject-reason").fill("流水与设备记录均无此纸币")
        await page.get_by_test_id("ca-reject-go").click()
        await expect(detail).to_have_attribute("data-status", "rejected")
        await page.get_by_test_id("case-evidence").click()
        evidence = page.get_by_test_id("case-evidence-text")
        await expect(evidence).to_contain_text("客户申诉：纸币未计入，已驳回")
        await expect(evidence).to_contain_text("已驳回  结案 · 原因: 流水与设备记录均无此纸币")
        await page.screenshot(path=str(SHOTS / "case-claim-rejected-zh-CN.png"), full_page=True)


async def test_a_void_the_backend_answers_late_shows_resolved_without_reopening(hall: tuple[RunningKiosk, str]) -> None:  # noqa: F811
    """The void's own request gets no answer (503s until the backend timeout): the case waits; once
    the outbox has the backend's answer the page shows it done on its refresh, staff touching nothing."""
    from playwright.async_api import expect

    kiosk, url = hall
    wrong = int((await pay(kiosk, "0034567890", [1000]))["result"]["seq"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with logged_in(url, "3001", STAFF["3001"][2], width=1100) as page:
        await page.get_by_test_id("tab-cases").click()
        await page.locator("[data-testid=case-new] summary").click()
        await page.get_by_test_id("c-ref").fill(str(wrong))
        await page.get_by_test_id("case-open").click()
        detail = page.get_by_test_id("case-detail")
        await expect(detail).to_have_attribute("data-status", "open")
        await page.get_by_test_id("ca-void-account").fill("0012345678")
        await page.get_by_test_id("ca-void-lookup").click()
        await expect(page.get_by_test_id("ca-void-holder")).to_have_text("确认户名为 张*明")
        await page.get_by_test_id("ca-void-reason").fill("客户输错户号")
        await kiosk.fault("backend_corrections_down", True)
        try:
            await page.get_by_test_id("ca-void-go").click()
            # the request tries until the backend timeout (5 s in the simulation), then the case waits
            await expect(detail).to_have_attribute("data-status", "waiting", timeout=CORRECTION_WAIT)
            await expect(page.get_by_test_id("cd-status")).to_have_text("等待后台答复")
            await page.get_by_test_id("ca-note-reason").fill("已请客户稍候")  # typed while it waits: kept
            await page.screenshot(path=str(SHOTS / "case-void-waiting-zh-CN.png"), full_page=True)
        finally:
            await kiosk.fault("backend_corrections_down", False)
        # the outbox's next try (backing off from 1 s) gets the answer; the page's refresh shows it
        await expect(detail).to_have_attribute("data-status", "resolved", timeout=CORRECTION_WAIT)
        await expect(page.get_by_test_id("cd-outcomes")).to_contain_text("冲正并转入正确户号 · 完成 · ¥10.00 → 0012345678 张*明")
        await expect(page.get_by_test_id("ca-note-reason")).to_have_value("已请客户稍候")
