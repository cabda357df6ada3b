"""Every reason the backend spec and the kiosk know, told in plain words in Chromium (zh-CN, en).

Driven by a scripted publisher like the machine's snapshots; the same screens from the real
daemon are in test_customer_told.py.
"""

from __future__ import annotations

import re

import pytest

from tests.screen.helpers import snapshot
from tests.screen.test_browser import CREDITED, PENDING, SHOTS, browser, screen  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="module"),
]

PAID_IN_HELP = {**CREDITED, "status": "flagged", "balance": None, "ref": None}
HOTLINE = {"hall": "模拟营业厅", "hall_en": "Simulated Hall", "hotline": "95598"}


def lookup(detail: str) -> dict:
    return {"state": "payment_help", "help": {"reason": "lookup", "detail": detail, "total": 0}}


def flagged(detail: str) -> dict:
    return {"state": "payment_help", "help": {"reason": "flagged", "detail": detail, "total": 15000},
            "result": {**PAID_IN_HELP, "reason_code": detail}, "receipt": "printed"}


def trouble(reason: str) -> dict:
    return {"state": "payment_help", "help": {"reason": reason, "detail": None, "total": 5000}, "total": 5000}


# (screen name, snapshot changes, words a zh-CN customer reads, words an en customer reads)
REASONS = [
    ("lookup-unknown", lookup("unknown_account"), ["未找到该户号"], ["was not found"]),
    ("lookup-blocked", lookup("account_blocked"), ["暂停缴费", "人工窗口"], ["suspended", "counter"]),
    ("lookup-frozen", lookup("account_frozen"), ["已冻结"], ["frozen"]),
    ("lookup-closed", lookup("account_closed"), ["已销户"], ["closed"]),
    ("lookup-unreachable", lookup("unreachable"), ["无法连接缴费系统", "未收取任何款项"],
     ["cannot be reached", "No money was taken"]),
    ("lookup-other", lookup("something_new"), ["暂时无法查询"], ["cannot be looked up"]),
    ("refused-unknown", flagged("unknown_account"), ["找不到该户号", "未能入账", "重新入账或退款"],
     ["does not know this account", "refund"]),
    ("refused-blocked", flagged("account_blocked"), ["暂停缴费", "未能入账"], ["suspended", "not credited"]),
    ("refused-frozen", flagged("account_frozen"), ["被冻结", "未能入账", "现金已收入机内"],
     ["frozen during your payment", "Your cash is in the machine"]),
    ("refused-closed", flagged("account_closed"), ["已销户", "未能入账"], ["closed during your payment"]),
    ("refused-limit", flagged("over_limit"), ["超过该户号的缴费限额"], ["over this account's payment limit"]),
    ("refused-currency", flagged("currency"), ["币种"], ["another currency"]),
    ("refused-other", flagged("refused"), ["未接受本次缴费"], ["did not accept this payment"]),
    ("pending-unreachable", {"state": "payment_done", "result": {**PENDING, "reason_code": "unreachable"},
                             "receipt": "printed"},
     ["暂时无法连接缴费系统", "自动入账", "无需再次缴费"], ["cannot be reached", "Do not pay again"]),
    ("printer-failed", {"state": "payment_done", "result": {**CREDITED, "reason_code": None}, "receipt": "failed"},
     ["凭条未能打印"], ["could not be printed"]),
    ("jam-waiting", {**trouble("note_jam"), "jam": {"waiting": True, "note": 2000, "left_behind": None}},
     ["纸币卡在机器里", "工作人员", "¥50.00", "如退回，请取回", "倒计时结束时，已收的 ¥50.00 将先行入账，不含卡住的纸币"],
     ["A note is stuck", "staff", "¥50.00", "if it is handed back, please take it",
      "When the countdown ends, the ¥50.00 counted is paid in without the stuck note"]),
    ("jam-waiting-nothing-counted", {"state": "payment_help", "help": {"reason": "note_jam", "detail": None, "total": 0},
                                     "total": 0, "jam": {"waiting": True, "note": 2000, "left_behind": None}},
     ["纸币卡在机器里", "倒计时结束时，本次缴费结束；卡住的纸币由工作人员处理"],
     ["A note is stuck", "When the countdown ends, this payment ends; the staff will settle the stuck note"]),
    ("jam-settled", {**trouble("note_jam"), "jam": {"waiting": False, "note": None, "left_behind": None}},
     ["卡住的纸币已处理"], ["has been dealt with"]),
    ("jam-left-behind", {"state": "payment_done", "result": {**CREDITED, "amount": 5000, "reason_code": None},
                         "receipt": "printed", "jam": {"waiting": False, "note": 2000, "left_behind": 2000}},
     ["另有一张 ¥20.00 纸币卡在机器中", "另作一笔缴费"], ["Another note of ¥20.00 is stuck", "separate payment"]),
    ("jam-back-nothing-taken", {"state": "payment_help", "help": {"reason": "note_jam", "detail": None, "total": 0},
                                "total": 0,
                                "jam": {"waiting": False, "note": None, "left_behind": None, "handed_back": 2000}},
     ["卡住的 ¥20.00 纸币已退回，请取回。本次未收取任何款项"],
     ["The stuck note of ¥20.00 was handed back; please take it. No money was taken."]),
    ("jam-handed-back", {"state": "payment_done", "result": {**CREDITED, "amount": 5000, "reason_code": None},
                         "receipt": "printed", "jam": {"waiting": False, "note": None, "left_behind": None,
                                                       "handed_back": 2000}},
     ["卡住的 ¥20.00 纸币已退回，未计入本次缴费，请取回"],
     ["The stuck note of ¥20.00 was handed back and is not in this payment; please take it"]),
    ("jam-handed-back-unknown", {"state": "payment_done", "result": {**CREDITED, "amount": 5000, "reason_code": None},
                                 "receipt": "printed", "jam": {"waiting": False, "note": None, "left_behind": None,
                                                               "handed_back": 0}},
     ["卡住的纸币已退回"], ["The stuck note was handed back"]),
    ("jam-left-behind-unknown", {"state": "payment_done", "result": {**CREDITED, "amount": 5000, "reason_code": None},
                                 "receipt": "printed", "jam": {"waiting": False, "note": None, "left_behind": 0,
                                                               "handed_back": None}},
     ["另有一张纸币卡在机器中，未计入本次缴费"], ["Another note is stuck and is not in this payment"]),
    ("refused-jam-handed-back", {**flagged("account_frozen"), "jam": {"waiting": False, "note": None,
                                                                      "left_behind": None, "handed_back": 2000}},
     ["被冻结", "卡住的 ¥20.00 纸币已退回，未计入本次缴费，请取回"],
     ["frozen during your payment", "The stuck note of ¥20.00 was handed back and is not in this payment"]),
    ("follow-up", {"state": "payment_done", "result": {**CREDITED, "amount": 5000, "reason_code": None},
                   "receipt": "printed", "follow_up": {"amount": 2000, "seq": 43}},
     ["¥20.00 纸币在本次缴费提交后才收入钱箱", "流水号 43"], ["reached the cash box after", "serial no. 43"]),
    ("validator-lost", trouble("validator_offline"), ["收款器停止响应", "¥50.00"], ["stopped answering", "¥50.00"]),
    ("box-full", trouble("stacker_full"), ["钱箱已满"], ["cash box is full"]),
    ("out-jam", {"state": "unavailable", "unavailable": {"reason": "validator_fault"}}, ["收款器故障"],
     ["note acceptor has a fault"]),
    ("out-backend", {"state": "unavailable", "unavailable": {"reason": "backend"}}, ["无法连接缴费系统"],
     ["cannot be reached"]),
]
CODES = re.compile(r"\b(?:[a-z]+_[a-z_]+|lookup|flagged|refused|pending|unreachable)\b")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_every_reason_is_told_in_words_never_a_code(screen, locale):  # noqa: F811
    from playwright.async_api import expect

    server, keys, page = screen
    for name, changes, zh, en in REASONS:
        server.publish(snapshot(locale=locale, site=HOTLINE, **changes))
        root = page.get_by_test_id("screen")
        await expect(root).to_have_attribute("data-state", changes["state"])
        await expect(root).to_have_attribute("data-locale", locale)
        main = page.locator("main")
        for words in zh if locale == "zh-CN" else en:
            await expect(main).to_contain_text(words)
        text = await main.inner_text()
        assert not CODES.search(text.replace("Self-service", "")), (name, text)
        await expect(page.get_by_test_id("contact")).to_be_visible()  # (to_have_text passes on hidden text)
        await expect(page.get_by_test_id("contact")).to_have_text(
            "模拟营业厅 · 服务热线 95598" if locale == "zh-CN" else "Simulated Hall · Hotline 95598")
        await page.screenshot(path=str(SHOTS / f"reason-{name}-{locale}.png"), animations="disabled")


async def test_the_cash_screen_says_what_is_still_due_and_that_there_is_no_change(screen):  # noqa: F811
    from playwright.async_api import expect

    server, keys, page = screen
    info = {"holder": "张*明", "due": 12350, "balance": -12350, "min": 100, "max": 500000}
    cash = {"state": "payment_cash_waiting", "info": info, "max_more": 500000}
    server.publish(snapshot(**cash))
    await expect(page.get_by_test_id("no-change")).to_contain_text("本机不找零")
    await expect(page.get_by_test_id("still-due")).to_have_text("还需缴纳 ¥123.50")
    await page.screenshot(path=str(SHOTS / "cash-first-note-zh-CN.png"), animations="disabled")
    server.publish(snapshot(**cash, notes=[10000], total=10000))
    await expect(page.get_by_test_id("still-due")).to_have_text("还需缴纳 ¥23.50")
    await expect(page.get_by_test_id("no-change")).to_be_hidden()  # said before the first note
    server.publish(snapshot(**cash, notes=[10000, 5000], total=15000))
    await expect(page.get_by_test_id("still-due")).to_have_text("已超出应缴金额 ¥26.50，超出部分将存入您的账户余额")
    server.publish(snapshot(**cash, notes=[10000, 2000, 100, 100, 100, 50], total=12350, locale="en"))
    await expect(page.get_by_test_id("still-due")).to_have_text("The amount due is paid in full")
    server.publish(snapshot(state="payment_confirm", account="0012345678", info=info, locale="en"))
    await expect(page.get_by_test_id("no-change")).to_contain_text("This machine gives no change")


async def test_the_hall_and_hotline_show_where_a_customer_may_need_someone(screen):  # noqa: F811
    from playwright.async_api import expect

    server, keys, page = screen
    contact = page.get_by_test_id("contact")
    for state, shown in [("service_idle", True), ("payment_account", False), ("payment_cash_waiting", False),
                         ("payment_help", True), ("payment_done", True), ("unavailable", True)]:
        changes = {"help": {"reason": "validator_offline", "detail": None, "total": 0}} if state == "payment_help" else {}
        if state == "payment_done":
            changes = {"result": {**CREDITED, "reason_code": None}, "receipt": "printed"}
        server.publish(snapshot(state=state, site=HOTLINE, **changes))
        await expect(page.get_by_test_id("screen")).to_have_attribute("data-state", state)
        if shown:
            await expect(contact).to_be_visible()
            await expect(contact).to_have_text("模拟营业厅 · 服务热线 95598")
        else:
            await expect(contact).to_be_hidden()
    server.publish(snapshot(state="service_idle", site={**HOTLINE, "hotline": ""}))
    await expect(page.get_by_test_id("screen")).to_have_attribute("data-state", "service_idle")
    await expect(contact).to_be_visible()
    await expect(contact).to_have_text("模拟营业厅")  # no hotline configured: none shown
