"""What the customer is told, at the real daemon's screen in Chromium: a note stuck mid-payment
ending in one payment with every note, failure reasons from the real backend, the cash screen's
amount due and no-change rule, the rating. One daemon for the module; each test starts idle."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.chromium import ARGS, CHROMIUM
from tests.daemon import RunningKiosk, start_kiosk, until_journal
from tests.screen.test_customer_in_browser import SHOTS, Customer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def customer(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Customer]:
    from playwright.async_api import async_playwright

    state = tmp_path_factory.mktemp("told") / "state"
    kiosk = await start_kiosk(state)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        await page.goto(kiosk.page_url)
        try:
            yield Customer(page, kiosk)
            assert errors == [], errors  # a script error would leave a stale screen
        finally:
            await browser.close()
            await kiosk.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def idle(customer: Customer) -> AsyncIterator[Customer]:
    """The module's customer, starting at the attract screen in zh-CN."""
    await back_to_idle(customer)
    yield customer
    await back_to_idle(customer)


async def back_to_idle(customer: Customer) -> None:
    kiosk = customer.kiosk
    if kiosk.snapshot.get("state") != "service_idle":
        await kiosk.press("cancel")
    await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
    if kiosk.snapshot["locale"] != "zh-CN":
        await kiosk.press("lang")
        await kiosk.until(lambda s: s["locale"] == "zh-CN", "zh-CN")


def backend(kiosk: RunningKiosk) -> sqlite3.Connection:
    return sqlite3.connect(kiosk.state_dir / "backend.sqlite3")


def set_account(kiosk: RunningKiosk, account: str, **fields: object) -> None:
    """What the operator changes in the billing system (status, limits) while customers pay."""
    with backend(kiosk) as db:
        for name, value in fields.items():
            db.execute(f"UPDATE accounts SET {name} = ? WHERE account = ?", (value, account))


async def to_cash(customer: Customer, account: str = "0012345678") -> None:
    await customer.press(*account, "confirm")
    await customer.sees_state("payment_confirm")
    await customer.press("confirm")
    await customer.sees_state("payment_cash_waiting")


async def insert(customer: Customer, value: int, count: int) -> None:
    await customer.kiosk.insert(value)
    await customer.kiosk.until(lambda s: len(s["notes"]) == count and s["state"] == "payment_cash_waiting",
                               f"note {count} counted")


async def shows(customer: Customer, *texts: str) -> str:
    for text in texts:
        await customer.page.locator("main").get_by_text(text, exact=False).first.wait_for(timeout=20000)
    return await customer.text()


async def save_receipt(customer: Customer, name: str) -> None:
    async with customer.kiosk._session.get(customer.kiosk.url + "sim/receipt.png") as resp:
        assert resp.status == 200
        (SHOTS / f"{name}.png").write_bytes(await resp.read())


async def test_a_note_stuck_mid_payment_ends_in_one_payment_with_every_note(idle: Customer) -> None:
    c = idle
    await to_cash(c)
    await insert(c, 5000, 1)
    await c.kiosk.fault("jam_stacking", True)
    await c.kiosk.insert(2000)
    await c.sees_state("payment_help")
    await shows(c, "纸币卡在机器里", "目前已收 ¥50.00")
    # the countdown, and what happens at its end
    assert (await c.page.get_by_test_id("countdown").inner_text()).startswith("剩余 ")
    assert await c.page.get_by_test_id("jam-at-zero").inner_text() == (
        "倒计时结束时，已收的 ¥50.00 将先行入账，不含卡住的纸币；卡住的纸币由工作人员处理。")
    await c.page.screenshot(path=str(SHOTS / "told-jam-waiting.png"))
    await c.press("confirm", "finish")  # the customer presses on: nothing goes without the note
    await c.kiosk.fault("jam_stacking", False)  # staff free the note
    await c.sees_state("payment_done")
    text = await shows(c, "缴费成功", "¥70.00")
    assert "¥70.00" in await c.page.inner_text('[data-testid="result-amount"]'), text
    lines = await c.kiosk.until_printed("合计: 70.00 元")
    assert "纸币 1: 50.00 元" in lines and "纸币 2: 20.00 元" in lines
    await c.page.screenshot(path=str(SHOTS / "told-jam-done.png"))
    await save_receipt(c, "told-jam-receipt")
    with backend(c.kiosk) as db:
        assert db.execute("select amount from payments where credited = 1 order by id desc limit 1").fetchone() == (7000,)


async def test_a_stuck_note_handed_back_is_told_to_be_taken(idle: Customer) -> None:
    c = idle
    await to_cash(c)
    await insert(c, 5000, 1)
    await c.kiosk.fault("jam_acceptor", True)
    await c.kiosk.insert(2000)
    await c.sees_state("payment_help")
    await shows(c, "纸币卡在机器里", "如退回，请取回")  # no promise that it joins the payment
    await c.kiosk.fault("jam_acceptor", False)  # staff free the note: it comes back out
    await c.sees_state("payment_done")
    text = await shows(c, "缴费成功", "纸币已退回，未计入本次缴费，请取回")
    assert "¥50.00" in await c.page.inner_text('[data-testid="result-amount"]'), text
    await c.page.screenshot(path=str(SHOTS / "told-jam-handed-back.png"))
    lines = await c.kiosk.until_printed("合计: 50.00 元")
    assert [line for line in lines if line.startswith("纸币")] == ["纸币 1: 50.00 元"]


async def test_the_cash_screen_says_what_is_due_and_that_there_is_no_change(idle: Customer) -> None:
    c = idle
    await c.press(*"0023456789", "confirm")  # 李*华, ¥88.00 due
    await c.sees_state("payment_confirm")
    await shows(c, "本机不找零")
    await c.press("confirm")
    await c.sees_state("payment_cash_waiting")
    await shows(c, "还需缴纳 ¥88.00", "本机不找零")
    await c.page.screenshot(path=str(SHOTS / "told-cash-before-first-note.png"))
    await insert(c, 5000, 1)
    text = await shows(c, "还需缴纳 ¥38.00")
    assert "本机不找零" not in text  # said before the first note
    await c.page.screenshot(path=str(SHOTS / "told-cash-still-due.png"))
    await insert(c, 5000, 2)
    await shows(c, "已超出应缴金额 ¥12.00，超出部分将存入您的账户余额")
    await c.page.screenshot(path=str(SHOTS / "told-cash-over-due.png"))
    await c.press("finish")
    await c.sees_state("payment_done")
    done = await c.kiosk.until(lambda s: s["state"] == "payment_done", "the result")  # our socket may lag the page's
    assert done["result"]["balance"] == 1200  # the ¥12.00 over the bill is the account's credit


async def test_one_key_rates_the_payment(idle: Customer) -> None:
    from playwright.async_api import expect

    c = idle
    await to_cash(c, "0034567890")
    await insert(c, 1000, 1)
    await c.press("finish")
    await c.sees_state("payment_done")
    await shows(c, "缴费成功")
    await c.page.get_by_test_id("softkeys-label").get_by_text("请评价本次服务").wait_for()
    await c.page.screenshot(path=str(SHOTS / "told-rating-ask.png"))
    await c.press("rate_good")
    await c.page.get_by_test_id("softkeys-label").get_by_text("感谢您的评价：满意").wait_for()
    await c.page.screenshot(path=str(SHOTS / "told-rating-thanks.png"))
    rated = await c.kiosk.until(lambda s: s["rating"] == "good", "the rating on our socket")
    txn = rated["result"]["txn"]
    # the thanks are shown while the journal write runs (kept in the background): wait for the row
    await until_journal(c.kiosk.state_dir, "select count(*) from ratings where txn = ?", txn)
    with sqlite3.connect(f"file:{c.kiosk.state_dir / 'journal.sqlite3'}?mode=ro", uri=True) as db:
        assert db.execute("select rating from ratings where txn = ?", (txn,)).fetchall() == [("good",)]
    # the next customer starts typing on the result screen: the digit is theirs, the result gone
    await c.press("0")
    await c.sees_state("payment_account")
    await expect(c.page.get_by_test_id("account")).to_have_text("0")
    text = await c.text()
    assert "¥10.00" not in text and "缴费成功" not in text


@pytest.mark.parametrize(("name", "account", "status", "words"), [
    ("unknown", "0011111111", None, "未找到该户号"),
    ("blocked", "0099999999", None, "该户号暂停缴费"),
    ("frozen", "0023456789", "frozen", "该账户已冻结"),
    ("closed", "0023456789", "closed", "该账户已销户"),
])
async def test_an_account_that_cannot_be_paid_is_named(idle: Customer, name: str, account: str,
                                                       status: str | None, words: str) -> None:
    from playwright.async_api import expect

    c = idle
    if status:
        set_account(c.kiosk, account, status=status)
    try:
        await c.press(*account, "confirm")
        await c.sees_state("payment_help")
        await shows(c, words)
        await c.page.screenshot(path=str(SHOTS / f"told-lookup-{name}.png"))
        await c.press("0")  # typing again: the digit starts the account anew, never swallowed
        await c.sees_state("payment_account")
        await expect(c.page.get_by_test_id("account")).to_have_text("0")
        assert words not in await c.text()
    finally:
        if status:
            set_account(c.kiosk, account, status="open")


async def test_the_billing_system_away_at_look_up_is_told(idle: Customer) -> None:
    c = idle
    await c.kiosk.fault("backend_down", True)
    try:
        await c.press(*"0012345678", "confirm")
        await c.sees_state("payment_help")
        await shows(c, "暂时无法连接缴费系统", "本次未收取任何款项")
        await c.page.screenshot(path=str(SHOTS / "told-lookup-unreachable.png"))
    finally:
        await c.kiosk.fault("backend_down", False)


@pytest.mark.parametrize(("name", "change", "words"), [
    ("frozen", {"status": "frozen"}, "该账户在缴费过程中被冻结"),
    ("limit", {"max": 1000}, "本次金额超过该户号的缴费限额"),
])
async def test_a_payment_refused_with_the_cash_in_says_why(idle: Customer, name: str, change: dict,
                                                          words: str) -> None:
    c = idle
    await to_cash(c, "0023456789")
    await insert(c, 2000, 1)
    set_account(c.kiosk, "0023456789", **change)  # the operator changes the account meanwhile
    try:
        await c.press("finish")
        await c.sees_state("payment_help")
        text = await shows(c, words, "您的现金已收入机内")
        assert "¥20.00" in text
        await c.page.screenshot(path=str(SHOTS / f"told-refused-{name}.png"))
    finally:
        set_account(c.kiosk, "0023456789", status="open", max=200000)


async def test_a_receipt_the_printer_could_not_print_is_told(idle: Customer) -> None:
    c = idle
    await to_cash(c, "0034567890")
    await insert(c, 500, 1)
    await c.kiosk.fault("paper_out", True)
    try:
        await c.press("finish")
        await c.sees_state("payment_done")
        await shows(c, "凭条未能打印")
        await c.page.screenshot(path=str(SHOTS / "told-printer-failed.png"))
    finally:
        await c.kiosk.fault("paper_out", False)
        await c.kiosk.until(lambda s: "printer_unavailable" not in s["notices"], "the printer back")


async def test_the_customer_reprints_a_recent_receipt_once(idle: Customer) -> None:
    c = idle
    await to_cash(c, "0045678901")
    await insert(c, 10000, 1)
    await c.press("finish")
    await c.sees_state("payment_done")
    seq = (await c.kiosk.until(lambda s: s["state"] == "payment_done", "the result"))["result"]["seq"]
    await c.press("cancel")
    await c.sees_state("service_idle")
    for attempt in ("printed", "already"):
        await c.press("reprint")
        await c.sees_state("service_reprint_account")
        await c.press(*"0045678901", "confirm")
        await c.sees_state("service_reprint_choose", "told-reprint-choose" if attempt == "printed" else None)
        text = await shows(c, "¥100.00", f"流水号 {seq}")
        assert ("已补打过" in text) == (attempt == "already")
        await c.press("1")
        await c.sees_state("service_reprint_done")
        if attempt == "printed":
            await shows(c, "凭条副本已打印")
            lines = await c.kiosk.until_printed("补打 DUPLICATE 1")
            assert f"流水号: {seq}" in lines and "合计: 100.00 元" in lines
            await c.page.screenshot(path=str(SHOTS / "told-reprint-printed.png"))
            await save_receipt(c, "told-reprint-receipt")
        else:
            await shows(c, "已自助补打过一次", "请联系工作人员")
            await c.page.screenshot(path=str(SHOTS / "told-reprint-already.png"))
        await c.press("confirm")
        await c.sees_state("service_idle")
    with sqlite3.connect(f"file:{c.kiosk.state_dir / 'journal.sqlite3'}?mode=ro", uri=True) as db:
        rows = db.execute("select data from audit where kind = 'reprint'").fetchall()
    assert [r for (r,) in rows if '"customer"' in r and f'"seq": {seq}' in r.replace('"seq":', '"seq": ')]


async def test_large_text_for_this_visit_with_longer_timeouts(idle: Customer) -> None:
    c = idle
    await c.press("large_text")
    await c.page.wait_for_selector("html.large")
    await c.page.screenshot(path=str(SHOTS / "told-large-idle.png"))
    await c.press(*"0012345678")
    await c.sees_state("payment_account")
    typing = await c.kiosk.until(lambda s: s["state"] == "payment_account", "the account step on our socket")
    assert typing["timeout"] == 120  # [timeouts] account 60 s x large_text_factor 2
    seconds = int(await c.page.get_attribute('[data-testid="countdown"]', "data-seconds"))
    assert 60 < seconds <= 120
    await c.press("confirm")
    await c.sees_state("payment_confirm")
    await c.press("confirm")
    await c.sees_state("payment_cash_waiting")
    await shows(c, "本机不找零")
    await c.page.screenshot(path=str(SHOTS / "told-large-cash.png"))
    title = await c.page.get_by_test_id("title").bounding_box()
    assert title is not None and title["y"] >= 0  # the title stays on screen in large type
    await c.press("cancel")
    await c.sees_state("service_idle")
    await c.page.wait_for_selector("html:not(.large)")  # the next customer: normal text
