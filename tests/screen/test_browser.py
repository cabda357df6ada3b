"""The customer page in a real Chromium, driven by a scripted publisher like the machine."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
import pytest_asyncio

from drivers.base import KEYS
from kioskd.customer.screen.server import ScreenServer
from tests.chromium import SHOTS, launched

from .helpers import INFO, KeyRecorder, snapshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="module"),
]


def deadline_in(seconds: int) -> int:
    return int(time.time() * 1000) + seconds * 1000


CREDITED = {"status": "credited", "amount": 15000, "balance": 2650, "ref": "B-1", "seq": 42, "txn": "t-1"}
PENDING = {"status": "pending", "amount": 15000, "balance": None, "ref": None, "seq": 43, "txn": "t-2"}

# (name, snapshot changes, texts a zh-CN customer sees, texts an en customer sees)
SCREENS = [
    ("starting", {"state": "starting"}, ["正在启动"], ["Starting"]),
    ("idle", {"state": "service_idle"}, ["请按任意键或触摸屏幕开始", "¥100.00"],
     ["Press any key or touch the screen to start", "¥100.00"]),
    ("account", {"state": "payment_account", "account": "0012345", "account_error": "too_short"},
     ["请输入户号", "0012345", "户号位数不足"], ["Enter your account number", "0012345", "too short"]),
    ("lookup", {"state": "payment_lookup", "account": "00123456"}, ["正在查询户号"], ["Looking up your account"]),
    ("confirm", {"state": "payment_confirm", "account": "00123456", "info": INFO},
     ["请核对缴费信息", "张*明", "¥123.50", "-¥123.50"],
     ["Please check the details", "张*明", "Amount due", "-¥123.50"]),
    ("cash", {"state": "payment_cash_waiting", "info": INFO, "notes": [10000, 5000], "total": 15000,
              "max_more": 485000, "message": "cancel_refused"},
     ["请逐张放入纸币", "¥150.00", "最多还可缴纳 ¥4,850.00", "不能取消", "已收 2 张"],
     ["Insert your notes one at a time", "¥150.00", "up to ¥4,850.00 more", "cannot be cancelled", "2 notes"]),
    ("escrow", {"state": "payment_cash_escrow", "notes": [10000], "total": 10000},
     ["正在识别纸币"], ["Checking the note"]),
    ("limit", {"state": "payment_cash_waiting", "info": INFO, "notes": [10000] * 49, "total": 490000,
               "max_more": 10000, "message": "note_returned_limit"},
     ["已退回", "最多还可缴纳 ¥100.00"], ["was returned", "up to ¥100.00 more"]),
    ("submit", {"state": "payment_submit", "notes": [10000, 5000], "total": 15000},
     ["正在提交缴费", "¥150.00"], ["Sending your payment", "¥150.00"]),
    ("receipt", {"state": "payment_receipt", "result": CREDITED, "receipt": "printing"},
     ["缴费成功", "正在打印凭条"], ["Payment successful", "Printing your receipt"]),
    ("done", {"state": "payment_done", "result": CREDITED, "receipt": "printed"},
     ["缴费成功", "¥150.00", "¥26.50", "B-1", "请取走凭条"],
     ["Payment successful", "Balance after payment", "¥26.50", "B-1", "Please take your receipt"]),
    ("done-owing", {"state": "payment_done", "result": {**CREDITED, "balance": -5350}, "receipt": "printed"},
     ["缴费后仍欠费", "¥53.50"], ["Still owed after this payment", "¥53.50"]),
    ("pending", {"state": "payment_done", "result": {**PENDING, "reason_code": "unreachable"}, "receipt": "failed"},
     ["暂时无法连接缴费系统", "自动入账", "43", "凭条未能打印", "补打"],
     ["cannot be reached", "credited automatically", "43", "could not be printed", "Reprint a receipt"]),
    ("help", {"state": "payment_help", "help": {"reason": "note_jam", "detail": None, "total": 5000}, "total": 5000,
              "jam": {"waiting": True, "note": 2000, "left_behind": None}},
     ["工作人员马上就到", "纸币卡在机器里", "目前已收 ¥50.00", "卡住的纸币", "¥20.00"],
     ["the staff are coming", "A note is stuck", "¥50.00 counted so far", "The stuck note", "¥20.00"]),
    ("help-lookup", {"state": "payment_help", "help": {"reason": "lookup", "detail": "unknown_account", "total": 0},
                     "lookup_error": "unknown_account"},
     ["未找到该户号"], ["account number was not found"]),
    ("unavailable", {"state": "unavailable", "unavailable": {"reason": "validator_offline"}},
     ["暂停服务", "收款器暂时无法使用", "人工窗口"], ["Out of service", "note acceptor", "counter"]),
    ("maintenance", {"state": "maintenance_open"}, ["设备维护中"], ["Maintenance in progress"]),
    ("notice", {"state": "service_idle", "notices": ["printer_unavailable"]},
     ["无法打印凭条"], ["no receipt can be printed"]),
]
TIMED = {"payment_account", "payment_confirm", "payment_cash_waiting", "payment_receipt", "payment_done",
         "payment_help"}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser():
    async with launched() as chromium:
        yield chromium


@pytest_asyncio.fixture(loop_scope="module")
async def screen(browser):
    """A server on an ephemeral port, its key recorder and a page showing it."""
    keys = KeyRecorder()
    server = ScreenServer("127.0.0.1:0", on_key=keys)
    await server.start()
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    await page.goto(server.page_url)
    yield server, keys, page
    await page.close()
    await server.stop()
    assert errors == [], errors  # a script error leaves a stale screen that tests may still pass


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_every_state_renders_its_text(screen, locale):
    from playwright.async_api import expect

    server, keys, page = screen
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, changes, zh, en in SCREENS:
        timed = changes["state"] in TIMED
        snap = snapshot(locale=locale, **changes)
        if timed:
            snap.update(deadline=deadline_in(45), timeout=60)
        server.publish(snap)
        root = page.get_by_test_id("screen")
        await expect(root).to_have_attribute("data-state", changes["state"])
        await expect(root).to_have_attribute("data-locale", locale)
        for text in zh if locale == "zh-CN" else en:
            await expect(page.locator("main")).to_contain_text(text)
        countdown = page.get_by_test_id("countdown")
        if timed:
            await expect(countdown).to_be_visible()
            await expect(countdown).to_contain_text("4")  # 45 s, or 44 by the time it is read
        else:
            await expect(countdown).to_be_hidden()
        await page.screenshot(path=str(SHOTS / f"{name}-{locale}.png"), animations="disabled")


async def test_total_and_result_ref_have_stable_test_ids(screen):
    from playwright.async_api import expect

    server, keys, page = screen
    server.publish(snapshot(state="payment_cash_waiting", notes=[10000, 5000], total=15000))
    await expect(page.get_by_test_id("total")).to_have_text("¥150.00")
    server.publish(snapshot(state="payment_done", result=CREDITED))
    await expect(page.get_by_test_id("result-ref")).to_have_text("B-1")
    await expect(page.get_by_test_id("result-balance")).to_have_text("¥26.50")
    server.publish(snapshot(state="payment_done", result={**CREDITED, "balance": -5350}))
    await expect(page.get_by_test_id("result-balance")).to_have_text("¥53.50")  # owed: no minus sign
    await expect(page.locator("main")).to_contain_text("缴费后仍欠费")
    server.publish(snapshot(state="payment_cash_waiting", notes=[100], total=100, message="below_min",
                            info={**INFO, "min": 500}))
    await expect(page.get_by_test_id("message")).to_have_text("未达最低缴费金额 ¥5.00，请继续放入纸币")


async def test_each_note_appears_as_it_is_accepted(screen):
    from playwright.async_api import expect

    server, keys, page = screen
    rows = page.get_by_test_id("notes").locator("li")
    notes: list[int] = []
    expected = {
        10000: ["¥100.00× 1"],
        5000: ["¥100.00× 1", "¥50.00× 1"],
        2000: ["¥100.00× 1", "¥50.00× 1", "¥20.00× 1"],
        10001: ["¥100.00× 2", "¥50.00× 1", "¥20.00× 1"],
    }
    for step in (10000, 5000, 2000, 10001):
        notes.append(min(step, 10000))
        server.publish(snapshot(state="payment_cash_waiting", notes=list(notes), total=sum(notes)))
        await expect(rows).to_have_text(expected[step])
        await expect(page.get_by_test_id("note-count")).to_have_text(f"已收 {len(notes)} 张")
    await expect(page.get_by_test_id("total")).to_have_text("¥270.00")


SOFT = ("rate_good", "rate_fair", "rate_poor", "invoice", "reprint")


async def test_keypad_buttons_send_their_keys(screen):
    server, keys, page = screen
    server.publish(snapshot(state="payment_account"))
    pad = [key for key in KEYS if key not in SOFT]
    for key in pad:
        await page.locator(f'.keypad button[data-key="{key}"]').click()
    assert await keys.wait_for(len(pad)) == pad


async def test_the_result_screen_offers_one_rating_then_thanks(screen):
    from playwright.async_api import expect

    server, keys, page = screen
    server.publish(snapshot(state="payment_account"))
    for key in SOFT:  # no soft key where it does not apply
        await expect(page.locator(f'button[data-key="{key}"]')).to_be_hidden()
    server.publish(snapshot(state="payment_done", result=CREDITED, receipt="printed"))
    await expect(page.get_by_test_id("softkeys-label")).to_have_text("请评价本次服务（可选）")
    for key, label in [("rate_good", "满意"), ("rate_fair", "一般"), ("rate_poor", "不满意")]:
        await expect(page.locator(f'button[data-key="{key}"]')).to_have_text(label)
    await page.locator('button[data-key="rate_fair"]').click()
    assert await keys.wait_for(1) == ["rate_fair"]  # the soft key, not a touch that starts a payment
    server.publish(snapshot(state="payment_done", result=CREDITED, receipt="printed", rating="fair"))
    await expect(page.get_by_test_id("softkeys-label")).to_have_text("感谢您的评价：一般")
    await expect(page.locator('button[data-key="rate_good"]')).to_be_hidden()
    await page.screenshot(path=str(SHOTS / "rated-zh-CN.png"), animations="disabled")


async def test_touching_the_attract_screen_starts_like_confirm(screen):
    from playwright.async_api import expect

    server, keys, page = screen
    server.publish(snapshot(state="service_idle"))
    await expect(page.get_by_test_id("start")).to_be_visible()
    await page.get_by_test_id("start").click()
    assert await keys.wait_for(1) == ["confirm"]


async def test_language_button_offers_the_other_language(screen):
    from playwright.async_api import expect

    server, keys, page = screen
    server.publish(snapshot(locale="zh-CN"))
    await expect(page.locator('button[data-key="lang"]')).to_have_text("English")
    await expect(page.locator('button[data-key="confirm"]')).to_have_text("确认")
    server.publish(snapshot(locale="en"))
    await expect(page.locator('button[data-key="lang"]')).to_have_text("中文")
    await expect(page.locator('button[data-key="confirm"]')).to_have_text("Confirm")


async def test_countdown_falls_and_stops_at_zero(screen):
    from playwright.async_api import expect

    server, keys, page = screen
    server.publish(snapshot(state="payment_account", deadline=deadline_in(6), timeout=6))
    countdown = page.get_by_test_id("countdown")
    # The page shows the snapshot when its socket delivers it (late on a loaded machine): wait, then read.
    await expect(countdown).to_have_attribute("data-seconds", re.compile(r"^[1-6]$"))
    first = int(await countdown.get_attribute("data-seconds") or "-1")
    # Bounded waits for the page's own clock to run the countdown down.
    lower = re.compile(f"^[0-{first - 1}]$")
    await expect(countdown).to_have_attribute("data-seconds", lower, timeout=2500)
    await expect(countdown).to_have_attribute("data-seconds", "0", timeout=8000)
    await expect(countdown).to_have_text("剩余 0 秒")


@pytest.mark.parametrize(
    ("fen", "shown"),
    [(0, "¥0.00"), (1, "¥0.01"), (99, "¥0.99"), (100, "¥1.00"), (15000, "¥150.00"),
     (485000, "¥4,850.00"), (-12350, "-¥123.50"), (123456789, "¥1,234,567.89")],
)
async def test_amounts_are_formatted_from_integer_fen(screen, fen, shown):
    server, keys, page = screen
    assert await page.evaluate("(fen) => yuan(fen)", fen) == shown


async def test_lost_connection_is_shown_not_hidden(screen):
    from playwright.async_api import expect

    server, keys, page = screen
    server.publish(snapshot(state="payment_account", account="123"))
    await expect(page.get_by_test_id("account")).to_have_text("123")
    await expect(page.get_by_test_id("offline")).to_be_hidden()
    await server.stop()
    await expect(page.get_by_test_id("offline")).to_be_visible()
    await expect(page.get_by_test_id("offline")).to_have_text("正在连接，请稍候…")


async def test_sim_page_buttons_insert_notes_and_toggle_faults(browser):
    from playwright.async_api import expect

    from .helpers import FakeSim

    sim = FakeSim()
    sim.receipt = (["缴费凭条 RECEIPT", "金额 ¥150.00"], None)
    server = ScreenServer("127.0.0.1:0", on_key=KeyRecorder(), sim=sim)
    url = await server.start()
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        server.publish(snapshot(state="payment_cash_waiting", denominations=[1000, 5000], total=0))
        await page.goto(url + "sim?k=" + server.secret)
        await expect(page.get_by_test_id("sim-state")).to_have_text("payment_cash_waiting")
        await page.locator('button[data-insert="5000"]').click()
        async with asyncio.timeout(5):
            await sim.got_note.wait()
        await page.locator('button[data-fault="jam"]').click()
        await expect(page.locator('button[data-fault="jam"]')).to_have_text("jam: ON")
        await expect(page.get_by_test_id("sim-receipt")).to_contain_text("金额 ¥150.00")
        assert sim.inserted == [5000]
        assert sim.faults()["jam"] is True
        await page.screenshot(path=str(SHOTS / "sim.png"))
    finally:
        await page.close()
        await server.stop()


async def test_the_kiosk_browser_starts_at_its_start_page_and_its_keys_carry_the_secret(browser, tmp_path):
    """What kioskd-screen.service does: open screen.html, land on the screen with the secret, type."""
    from playwright.async_api import expect

    from kioskd.customer.screen.secret import write_start_page

    keys = KeyRecorder()
    server = ScreenServer("127.0.0.1:0", on_key=keys)
    await server.start()
    write_start_page(str(tmp_path), server.page_url)
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        server.publish(snapshot(state="service_idle"))
        await page.goto((tmp_path / "screen.html").as_uri())
        await expect(page.get_by_test_id("start")).to_be_visible()
        assert page.url == server.page_url
        await page.get_by_test_id("start").click()
        assert await keys.wait_for(1) == ["confirm"]
        assert server.refused == 0
    finally:
        await page.close()
        await server.stop()
