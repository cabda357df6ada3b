"""Two people use the staff page on a phone against a whole simulated kiosk, in Chromium: hall staff
acknowledge an alert, find a payment, reprint its receipt and are refused a manager's action; the
manager clears it and reads the reports; the audit chain names who did what."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from tests.chromium import launched
from tests.daemon import ROOT, RunningKiosk
from tests.staff.conftest import Staff, pay
from tests.staffpage.test_daemon_page import kiosk_with_page

from .conftest import STAFF

SHOTS = ROOT / "artifacts" / "screens" / "staff"
PHONE = {"width": 390, "height": 844}  # a phone held upright, CSS pixels
pytestmark = [
    pytest.mark.slow, pytest.mark.browser, pytest.mark.asyncio(loop_scope="module"),
]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def hall(tmp_path_factory) -> AsyncIterator[tuple[RunningKiosk, str]]:
    async with kiosk_with_page(tmp_path_factory.mktemp("phone"), STAFF) as found:
        yield found


async def flagged_payment(kiosk: RunningKiosk, account: str, value: int) -> int:
    """A payment whose account the operator closes while the cash goes in: flagged for staff; its serial number."""
    await kiosk.press(*account, "confirm")
    await kiosk.until(lambda s: s["state"] == "payment_confirm", "the confirmation")
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash step")
    await kiosk.insert(value)
    await kiosk.until(lambda s: s["notes"] == [value], "the note counted")
    with sqlite3.connect(kiosk.state_dir / "backend.sqlite3") as backend:
        backend.execute("UPDATE accounts SET status = 'closed' WHERE account = ?", (account,))
    await kiosk.press("finish")
    snap = await kiosk.until(lambda s: s["state"] == "payment_help", "the help screen")
    with sqlite3.connect(kiosk.state_dir / "backend.sqlite3") as backend:
        backend.execute("UPDATE accounts SET status = 'open' WHERE account = ?", (account,))
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
    return int(snap["result"]["seq"])


class Phone:
    """A phone's browser on the staff page."""

    def __init__(self, page) -> None:
        self.page = page

    async def login(self, staff: str) -> None:
        from playwright.async_api import expect

        await expect(self.page.get_by_test_id("login")).to_be_visible()
        await self.page.get_by_test_id("staff-id").fill(staff)
        await self.page.get_by_test_id("secret").fill(STAFF[staff][2])
        await self.page.get_by_test_id("login-button").click()
        await expect(self.page.get_by_test_id("me")).to_contain_text(f"{staff} {STAFF[staff][0]}")

    def alert(self, code: str):
        return self.page.locator(f'[data-testid="alert"][data-code="{code}"]')

    async def fits(self, what: str) -> None:
        """Nothing on the page is wider than the phone: no sideways scrolling to reach a field or a button."""
        width = await self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (what, width)

    async def shot(self, name: str, full_page: bool = True) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


async def test_two_people_do_the_days_work_on_a_phone(hall: tuple[RunningKiosk, str]) -> None:
    from playwright.async_api import expect

    kiosk, url = hall
    paid = await pay(kiosk, "0012345678", [10000, 5000])
    seq = paid["result"]["seq"]
    await flagged_payment(kiosk, "0023456789", 2000)
    await kiosk.fault("stacker_full", True)  # the box reports full: staff empty it and clear it
    ctl = Staff(kiosk)
    await ctl.until_alert("stacker_full")
    await ctl.until_alert("payment_flagged")
    await kiosk.fault("stacker_full", False)

    async with launched() as browser:
        context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        phone = Phone(await context.new_page())
        await phone.page.goto(url)
        await phone.shot("phone-login-zh-CN")
        await phone.login("2001")
        await expect(phone.page.get_by_test_id("me")).to_have_text("2001 王芳 · 大厅工作人员")
        # the kiosk's state in words, its code only in the title for a support call
        state = phone.page.get_by_test_id("state")
        await expect(state).to_have_text(re.compile(r"^[^A-Za-z_()]+$"))
        await expect(state).to_have_attribute("title", await state.get_attribute("data-state") or "?")
        # every tab she may use is on the screen, none scrolled out of sight to the right
        tabs = phone.page.locator("nav.tabs button")
        assert await tabs.count() == 5
        for box in [await tab.bounding_box() for tab in await tabs.all()]:
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box

        # hall staff acknowledge the full box
        full = phone.alert("stacker_full")
        await full.get_by_test_id("ack").click()
        await expect(full).to_have_attribute("data-state", "acknowledged")
        await expect(full).to_contain_text("已确认（2001 王芳）")
        # ... and may not clear the flagged payment's alert: that is a manager's decision
        flagged = phone.alert("payment_flagged")
        # the reason in words alone; the backend's code is in the tooltip, for a support call
        await expect(flagged.get_by_test_id("alert-reason")).to_have_text("原因: 后台拒收：户号已销户")
        await expect(flagged.get_by_test_id("alert-reason")).to_have_attribute("title", "rejected: account_closed")
        await flagged.get_by_test_id("clear").click()
        await expect(phone.page.get_by_test_id("error")).to_have_text(
            "无权操作：解除涉及款项的告警（需要经理）")
        await expect(flagged).to_have_attribute("data-state", "raised")
        await phone.shot("phone-refused-zh-CN")

        # a customer asks about their payment: found by account, opened, the receipt reprinted
        await phone.page.get_by_test_id("tab-txns").click()
        await phone.page.get_by_test_id("q-account").fill("0012345678")
        await phone.page.get_by_test_id("q-amount").fill("150")
        await phone.page.get_by_test_id("txn-search-button").click()
        await expect(phone.page.get_by_test_id("txn-count")).to_have_text("找到 1 笔")
        await phone.shot("phone-search-zh-CN")
        await phone.page.locator(f'[data-testid="txn"][data-seq="{seq}"]').click()
        detail = phone.page.get_by_test_id("txn-detail")
        await expect(detail.get_by_test_id("d-amount")).to_have_text("¥150.00")
        await expect(detail.get_by_test_id("d-notes")).to_contain_text("¥100.00")
        await expect(detail.get_by_test_id("d-state")).to_have_text("已入账")
        await detail.get_by_test_id("reprint").click()
        await expect(phone.page.get_by_test_id("done")).to_have_text("凭条已补打（第 1 份）")
        await kiosk.until_printed("补打 DUPLICATE 1")
        await phone.shot("phone-reprint-zh-CN")
        # by serial number straight to the payment, and by a time window that holds it
        await phone.page.get_by_test_id("back").click()
        await phone.page.get_by_test_id("q-account").fill("")
        await phone.page.get_by_test_id("q-amount").fill("")
        await phone.page.get_by_test_id("q-ref").fill(str(seq))
        await phone.page.get_by_test_id("txn-search-button").click()
        await expect(phone.page.get_by_test_id("d-seq")).to_have_text(str(seq))
        # by the time the customer remembers, on the kiosk's clock: both payments of the day
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        await phone.page.get_by_test_id("back").click()
        await phone.page.get_by_test_id("q-ref").fill("")
        # typed as a phone's number pad allows (digits only), in the page's words, not the browser's
        # mm/dd/yyyy and AM/PM
        for name, hint in (("from_date", "年-月-日"), ("from_time", "时:分")):
            field = phone.page.get_by_test_id(f"q-{name}")
            assert (await field.get_attribute("placeholder"), await field.get_attribute("type")) == (hint, "text")
        for name, value in (("from_date", today.replace("-", "")), ("from_time", "000"), ("to_date", today),
                            ("to_time", "23:59")):
            await phone.page.get_by_test_id(f"q-{name}").fill(value)
        await phone.page.get_by_test_id("txn-search-button").click()
        await expect(phone.page.get_by_test_id("txn-count")).to_have_text("找到 2 笔")
        await expect(phone.page.get_by_test_id("q-from_date")).to_have_value(today)
        await expect(phone.page.get_by_test_id("q-from_time")).to_have_value("00:00")
        await phone.page.get_by_test_id("q-to_date").fill("12/03/2026")  # not a date the kiosk reads
        await phone.page.get_by_test_id("txn-search-button").click()
        await expect(phone.page.get_by_test_id("error")).to_have_text("日期格式：如 2026-12-03")
        # her round of the hall: the patrol check-in on the phone; every register and the cases fit its width
        await phone.page.get_by_test_id("tab-registers").click()
        await phone.page.get_by_test_id("section-patrols").click()
        await phone.page.get_by_test_id("patrol-note").fill("一切正常")
        await phone.page.get_by_test_id("patrol-button").click()
        await expect(phone.page.get_by_test_id("done")).to_have_text("巡检已登记")
        await expect(phone.page.get_by_test_id("patrols")).to_contain_text("2001 王芳")
        await phone.shot("phone-patrol-zh-CN")
        for section in ("differences", "claims", "keys", "patrols", "worklog"):
            await phone.page.get_by_test_id(f"section-{section}").click()
            await expect(phone.page.locator(f'[data-testid="section-{section}"].now')).to_have_count(1)
            await phone.fits(section)
        await phone.page.get_by_test_id("tab-cases").click()
        await phone.fits("cases")
        await phone.page.get_by_test_id("logout").click()

        # the manager, on the same phone
        await phone.login("3001")
        await expect(phone.page.get_by_test_id("me")).to_have_text("3001 赵经理 · 经理")
        await phone.alert("payment_flagged").get_by_test_id("clear").click()
        await expect(phone.page.get_by_test_id("done")).to_contain_text("已解除告警")
        await expect(phone.alert("payment_flagged")).to_have_count(0)
        # the cash box key handed to the technician, who types their own PIN on the manager's phone
        await phone.page.get_by_test_id("tab-registers").click()
        await phone.page.get_by_test_id("section-keys").click()
        await phone.page.get_by_test_id("key-copy").fill("box-1")
        await phone.page.locator('select[name="key"]').select_option("box")
        await phone.page.get_by_test_id("key-to").fill("1001")
        await phone.page.get_by_test_id("key-to-pin").fill(STAFF["1001"][2])
        await phone.page.get_by_test_id("key-reason").fill("发放")
        await phone.page.get_by_test_id("key-hand-button").click()
        await expect(phone.page.get_by_test_id("done")).to_have_text("box-1 已交给 1001")
        await expect(phone.page.get_by_test_id("key-holders")).to_contain_text("1001 张伟")
        await phone.fits("keys")
        await phone.shot("phone-keys-zh-CN")
        # the work log shows who did what, each in words
        await phone.page.get_by_test_id("tab-registers").click()
        await phone.page.get_by_test_id("section-worklog").click()
        log = phone.page.get_by_test_id("worklog")
        await expect(log).to_contain_text("解除涉及款项的告警")
        rows = [(await r.locator("td").all_inner_texts())[2:] for r in await log.locator("tr:has(td)").all()]
        assert ["告警", "2001 王芳", "告警 钱箱已满，状态 已确认"] in rows
        assert ["员工操作被拒", "2001 王芳", "操作 解除涉及款项的告警"] in rows
        assert ["补打凭条", "2001 王芳", f"流水号 {seq}，补打序号 1"] in rows
        assert ["告警", "3001 赵经理", "告警 缴费需人工处理，状态 已解除"] in rows
        await log.scroll_into_view_if_needed()
        await phone.shot("phone-worklog-zh-CN", full_page=False)  # the phone's screen: the newest entries
        await phone.page.get_by_test_id("tab-reports").click()
        await expect(phone.page.get_by_test_id("report-date")).to_have_value(today)
        await phone.page.get_by_test_id("daily-show").click()
        await expect(phone.page.get_by_test_id("daily-count")).to_have_text("2")
        await expect(phone.page.get_by_test_id("daily-total")).to_have_text("¥170.00")
        await phone.page.get_by_test_id("range-show").click()
        await expect(phone.page.get_by_test_id("range-count")).to_have_text("2")
        await phone.shot("phone-reports-zh-CN")
        await phone.page.get_by_test_id("lang").click()
        await expect(phone.page.get_by_test_id("tab-reports")).to_have_text("Reports")
        await phone.shot("phone-reports-en")

    # the audit chain names who did what
    db = sqlite3.connect(kiosk.state_dir / "journal.sqlite3")
    entries = [(k, json.loads(d)) for k, d in db.execute("select kind, data from audit order by seq")]
    db.close()
    logins = [(d["staff"], d["result"]) for k, d in entries if k == "staff_auth" and d["via"] == "page"]
    assert logins == [("2001", "ok"), ("3001", "ok"), ("1001", "ok")]  # the last: the key's receiver
    acked = [d for k, d in entries if k == "alert" and d["state"] == "acknowledged"]
    assert [(a["code"], a["detail"]["acknowledged_by"]) for a in acked] == [("stacker_full", "2001 王芳")]
    [refused] = [d for k, d in entries if k == "staff_refused"]
    assert (refused["by"], refused["by_role"], refused["action"], refused["via"]) == (
        "2001", "hall", "alert_clear_money", "page")
    [reprint] = [d for k, d in entries if k == "reprint"]
    assert (reprint["seq"], reprint["by"], reprint["by_name"], reprint["via"]) == (seq, "2001", "王芳", "page")
    cleared = [d for k, d in entries if k == "alert" and d["state"] == "cleared" and d["code"] == "payment_flagged"]
    assert [c["detail"]["cleared_by"] for c in cleared] == ["3001 赵经理"]
