"""A note the validator holds in stacking without a word (its emulator's stall_stacking switch), in
the whole daemon over real wire protocols on ptys: after [timeouts] note_progress it is a stuck
note like a reported jam. The customer reads the stuck-note screen, staff read why (cause
no_progress), the counted notes stay with the one payment, and the note is credited once when it lands.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.daemon import ROOT, RunningKiosk, start_kiosk, until_journal
from tests.scenario.test_stuck_note import backend_credits, journal
from tests.staff.conftest import Staff
from tests.staffpage.browser import logged_in
from tests.staffpage.conftest import STAFF
from tests.staffpage.test_daemon_page import kiosk_with_page

pytestmark = pytest.mark.slow

SHOTS = ROOT / "artifacts" / "screens"
NEXT = "0023456789"  # the next customer's account
LIMIT = "[timeouts]\nnote_progress = 3.0\n"  # short, so the test is; the default is 30 s
STAFF_WORDS = ("纸币在暂存或入箱途中长时间停住，识币器未报告卡币（已按卡币处理）",
               "a note stopped in escrow or on its way into the box and the validator reported no outcome "
               "(treated as a jam)")
CUSTOMER_ZH = ["请稍候，工作人员马上就到", "一张纸币卡在机器里。工作人员正在赶来处理；目前已收 ¥50.00。", "卡住的纸币", "¥20.00"]
CUSTOMER_EN = ["Please wait, the staff are coming",
               "A note is stuck in the machine. The staff are on their way; ¥50.00 counted so far.",
               "The stuck note", "¥20.00"]


async def hold_a_note(kiosk: RunningKiosk) -> dict:
    """Pay 50 yuan, then a 20 that the validator keeps 'stacking'; returns the stuck-note screen's snapshot."""
    await kiosk.to_cash()
    await kiosk.insert(5000)
    await kiosk.until(lambda s: s["notes"] == [5000] and s["state"] == "payment_cash_waiting", "the 50 counted")
    await kiosk.fault("stall_stacking", True)
    await kiosk.insert(2000)
    await kiosk.until(lambda s: s["state"] == "payment_cash_stacking", "the 20 on its way into the box")
    return await kiosk.until(lambda s: s["state"] == "payment_help" and (s["jam"] or {}).get("waiting"),
                             "the stuck-note screen")


@pytest.mark.browser
async def test_a_held_note_ends_on_the_stuck_note_screen_staff_read_why_and_it_joins_the_payment(
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    async with kiosk_with_page(tmp_path, STAFF, LIMIT) as (kiosk, url):
        ctl = Staff(kiosk)
        async with logged_in(url, "2001", STAFF["2001"][2]) as staff_page:
            browser = staff_page.context.browser
            customer = await browser.new_page(viewport={"width": 1280, "height": 800})
            await customer.goto(kiosk.page_url)
            snap = await hold_a_note(kiosk)
            assert snap["help"] == {"reason": "note_jam", "detail": "no_progress", "total": 5000}
            assert snap["jam"]["note"] == 2000 and snap["timeout"] == 600  # jam_wait's countdown now

            # the customer: the stuck-note screen, in both languages
            screen = customer.get_by_test_id("screen")
            await expect(screen).to_have_attribute("data-state", "payment_help")
            for words in CUSTOMER_ZH:
                await expect(screen).to_contain_text(words)
            (SHOTS / "daemon").mkdir(parents=True, exist_ok=True)
            await customer.screenshot(path=str(SHOTS / "daemon" / "jam-no-progress-zh-CN.png"))
            await kiosk.press("lang")
            for words in CUSTOMER_EN:
                await expect(screen).to_contain_text(words)
            await customer.screenshot(path=str(SHOTS / "daemon" / "jam-no-progress-en.png"))

            # staff: the alert says why, in words, on the page and in kioskctl
            alert = await ctl.until_alert("note_jam")
            assert (alert["cause"], alert["cause_zh"], alert["cause_en"]) == ("no_progress", *STAFF_WORDS)
            assert (alert["detail"]["where"], alert["detail"]["note"], alert["detail"]["total"]) == ("stacking", 2000, 5000)
            code, text = await ctl.run("alerts")
            assert code == 0 and STAFF_WORDS[0] in text
            code, text = await ctl.run("alerts", "--lang", "en")
            assert code == 0 and STAFF_WORDS[1] in text
            card = staff_page.locator('[data-testid="alert"][data-code="note_jam"]')
            await expect(card.get_by_test_id("alert-reason")).to_have_text(f"原因: {STAFF_WORDS[0]}")
            said = await card.inner_text()
            assert not re.search(r"[A-Za-z]", said), said
            shots = SHOTS / "staff"
            shots.mkdir(parents=True, exist_ok=True)
            await staff_page.screenshot(path=str(shots / "alert-note-no-progress-zh-CN.png"), full_page=True)
            await staff_page.get_by_test_id("lang").click()
            await expect(card.get_by_test_id("alert-reason")).to_have_text(f"Reason: {STAFF_WORDS[1]}")
            await staff_page.screenshot(path=str(shots / "alert-note-no-progress-en.png"), full_page=True)

            # the note lands at last: it joins the one payment, the alert ends
            await kiosk.fault("stall_stacking", False)
            snap = await kiosk.until(lambda s: s["state"] == "payment_done", "the one payment")
            assert (snap["result"]["status"], snap["result"]["amount"]) == ("credited", 7000)
            await ctl.until_alert("note_jam", None)
        state = kiosk.state_dir
    with journal(state) as db:
        assert db.execute("select seq, state, amount from txns where seq is not null").fetchall() == [
            (1, "credited", 7000)]
        assert db.execute("select value from notes order by id").fetchall() == [(5000,), (2000,)]
    assert backend_credits(state) == [("0012345678", 7000)]


@pytest.mark.parametrize("driver,back_by", [("ssp", "the note landing"), ("cctalk", "staff clearing the alert")])
async def test_after_jam_wait_the_counted_notes_go_and_the_held_note_is_credited_once_later(
    tmp_path: Path, driver: str, back_by: str
) -> None:
    """Back in service by staff, the held note lands during the next customer's payment: it goes to the
    first payment's follow-up (the journal's stack intent names the first payment), never to theirs."""
    conf = tmp_path / "kiosk.toml"
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    conf.write_text(text + "\n" + LIMIT + "jam_wait = 1.0\nresult = 60.0\n", encoding="utf-8")
    state = tmp_path / "state"
    kiosk = await start_kiosk(state, "--validator", driver, "--config", str(conf))
    try:
        snap = await hold_a_note(kiosk)
        assert snap["help"]["detail"] == "no_progress"
        # nobody comes within jam_wait: the counted 50 yuan are paid, without the held note
        snap = await kiosk.until(lambda s: s["state"] == "payment_done", "the first payment")
        assert (snap["result"]["amount"], snap["jam"]["left_behind"]) == (5000, 2000)
        await kiosk.press("cancel")  # the customer goes; the note is still out there: no next customer
        await kiosk.until(lambda s: s["state"] == "unavailable", "out of service while the note is held")
        if back_by == "staff clearing the alert":  # staff took care of the note (it is still held here)
            ctl = Staff(kiosk)
            alert = await ctl.until_alert("note_jam")
            code, text = await ctl.run("alerts", "clear", alert["id"], "--by", "guide-7")
            assert code == 0, text
            await kiosk.to_cash(NEXT)  # the next customer's payment is open when the held note lands
        await kiosk.fault("stall_stacking", False)  # the note lands after its payment went
        if back_by == "staff clearing the alert":
            await until_journal(state, "select count(*) from txns where seq = 2 and state = 'credited'")
            snap = kiosk.snapshot  # the next customer's payment holds none of it, and they are told nothing
            assert (snap["state"], snap["notes"], snap["follow_up"]) == ("payment_cash_waiting", [], None)
            await kiosk.insert_counted([1000])  # their own note is theirs
            await kiosk.press("finish")
            snap = await kiosk.until(lambda s: s["state"] == "payment_done", "the next customer's result")
            assert (snap["result"]["status"], snap["result"]["amount"], snap["follow_up"]) == ("credited", 1000, None)
            await kiosk.press("cancel")  # the customer goes
        await kiosk.until(lambda s: s["state"] == "service_idle", f"back in service: {back_by}")
        await until_journal(state, "select count(*) from txns where seq = 2 and state = 'credited'")
    finally:
        assert await kiosk.stop() == 0
    nexts = [(3, "credited", 1000)] if back_by == "staff clearing the alert" else []
    with journal(state) as db:
        assert db.execute("select seq, state, amount from txns where seq is not null order by seq").fetchall() == [
            (1, "credited", 5000), (2, "credited", 2000), *nexts]
        first = db.execute("select id from txns where seq = 1").fetchone()[0]
        # its follow-up says why it exists, as its opening entry does, after its credit too
        why = db.execute("select opened_reason from txns where seq = 2").fetchone()[0]
        assert first in why and why == db.execute(
            "select json_extract(data, '$.reason') from audit where kind = 'txn_open' and"
            " json_extract(data, '$.txn') = (select id from txns where seq = 2)").fetchone()[0]
        assert db.execute("select t.seq, n.value from notes n join txns t on t.id = n.txn order by n.id").fetchall() == [
            (1, 5000), (2, 2000), *((seq, amount) for seq, _, amount in nexts)]  # each note credited once
    nexts_backend = [(NEXT, 1000)] if nexts else []
    assert backend_credits(state) == [("0012345678", 5000), ("0012345678", 2000), *nexts_backend]
    with sqlite3.connect(state / "backend.sqlite3") as db:
        assert db.execute("select count(*) from payments").fetchone() == (2 + len(nexts),)  # each submitted once
