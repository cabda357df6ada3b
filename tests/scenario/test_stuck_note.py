"""A note jams mid-payment in the whole daemon, over ID-003 and SSP on their wire emulators.

The issue's case: 50 yuan in, then a 20 jams while stacking. One visit, one payment: the
payment waits for the freed note, the visit's one receipt shows every note and the total, the
backend credits once.
"""

from __future__ import annotations

import json
import os
import pwd
import sqlite3
from pathlib import Path

import pytest

from tests.chromium import SHOTS
from tests.daemon import ROOT, RunningKiosk, start_kiosk, until_journal
from tests.staff.conftest import Staff

pytestmark = pytest.mark.slow

DRIVERS = ["id003", "ssp"]


async def jam_mid_payment(kiosk: RunningKiosk, fault: str = "jam_stacking") -> dict:
    """Pay 50 yuan, then a 20 jams (while stacking, or in the acceptor); returns the help screen's snapshot."""
    await kiosk.to_cash()
    await kiosk.insert(5000)
    await kiosk.until(lambda s: s["notes"] == [5000] and s["state"] == "payment_cash_waiting", "the 50 counted")
    await kiosk.fault(fault, True)
    await kiosk.insert(2000)
    return await kiosk.until(lambda s: s["state"] == "payment_help" and (s["jam"] or {}).get("waiting"),
                             "the stuck-note screen")


async def keys_are_handled(kiosk: RunningKiosk, *keys: str) -> None:
    """Press `keys`, then the language key; once the language changed every key before it was handled."""
    before = kiosk.snapshot["locale"]
    await kiosk.press(*keys, "lang")
    await kiosk.until(lambda s: s["locale"] != before, "the keys handled")


def notes_and_total(receipt: list[str]) -> list[str]:
    """The receipt's lines that say the money: each note, then the total."""
    return [line for line in receipt if line.startswith(("纸币", "Note", "合计", "Total"))]


async def the_visits_only_receipt(kiosk: RunningKiosk, total: str) -> list[str]:
    """The receipt showing `total`, once the customer has left: the one the printer printed."""
    receipt = await kiosk.until_printed(total)
    await kiosk.press("cancel")  # the customer leaves the result screen: the visit is over
    await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
    assert (await kiosk.sim_state())["printed"] == 1, "one visit, one receipt"
    return receipt


def journal(state: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{state / 'journal.sqlite3'}?mode=ro", uri=True)


def backend_credits(state: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(state / "backend.sqlite3") as db:
        return db.execute("select account, amount from payments where credited = 1 order by id").fetchall()


@pytest.mark.parametrize("driver", DRIVERS)
async def test_a_note_stuck_mid_payment_ends_in_one_payment_with_every_note(tmp_path: Path, driver: str) -> None:
    state = tmp_path / "state"
    kiosk = await start_kiosk(state, "--validator", driver)
    try:
        snap = await jam_mid_payment(kiosk)
        assert snap["help"] == {"reason": "note_jam", "detail": None, "total": 5000}
        assert snap["jam"]["note"] == 2000 and snap["timeout"] == 600
        # the customer presses keys while the note is stuck: nothing is submitted without it
        await keys_are_handled(kiosk, "confirm", "finish", "cancel", "5")
        assert kiosk.snapshot["state"] == "payment_help"
        with journal(state) as db:
            assert db.execute("select state, amount from txns where seq = 1").fetchone() == ("open", 5000)
        await kiosk.fault("jam_stacking", False)  # staff free the note: it goes into the box
        snap = await kiosk.until(lambda s: s["state"] == "payment_done", "the one payment")
        assert (snap["result"]["status"], snap["result"]["amount"]) == ("credited", 7000)
        assert snap["follow_up"] is None and snap["jam"] is None or not snap["jam"]["waiting"]
        receipt = await the_visits_only_receipt(kiosk, "70.00")
        assert notes_and_total(receipt) in (["纸币 1: 50.00 元", "纸币 2: 20.00 元", "合计: 70.00 元"],
                                            ["Note 1: 50.00 CNY", "Note 2: 20.00 CNY", "Total: 70.00 CNY"])
    finally:
        assert await kiosk.stop() == 0
    with journal(state) as db:
        assert db.execute("select seq, state, amount from txns where seq is not null").fetchall() == [
            (1, "credited", 7000)]
        assert db.execute("select value from notes order by id").fetchall() == [(5000,), (2000,)]
    assert backend_credits(state) == [("0012345678", 7000)]


@pytest.mark.parametrize("driver", DRIVERS)
async def test_a_stuck_note_handed_back_ends_the_payment_and_the_customer_is_told_to_take_it(
    tmp_path: Path, driver: str
) -> None:
    """The note jams in the acceptor and goes back: the payment is the counted notes, and says so."""
    state = tmp_path / "state"
    kiosk = await start_kiosk(state, "--validator", driver)
    try:
        await jam_mid_payment(kiosk, "jam_acceptor")
        await kiosk.fault("jam_acceptor", False)  # staff free the note: it comes back out
        snap = await kiosk.until(lambda s: s["state"] == "payment_done" and (s["jam"] or {}).get("handed_back")
                                 is not None, "the result telling the note was handed back")
        assert (snap["result"]["status"], snap["result"]["amount"]) == ("credited", 5000)
        assert snap["jam"]["handed_back"] in (2000, 0)  # 0: the unit did not say its value
        assert snap["jam"]["left_behind"] is None and snap["follow_up"] is None
        receipt = await the_visits_only_receipt(kiosk, "50.00")
        assert notes_and_total(receipt) in (["纸币 1: 50.00 元", "合计: 50.00 元"],
                                            ["Note 1: 50.00 CNY", "Total: 50.00 CNY"])
    finally:
        assert await kiosk.stop() == 0
    assert backend_credits(state) == [("0012345678", 5000)]


@pytest.mark.parametrize("driver", DRIVERS)
async def test_after_jam_wait_the_note_lands_as_a_follow_up_and_the_customer_is_told(
    tmp_path: Path, driver: str
) -> None:
    conf = tmp_path / "kiosk.toml"
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    conf.write_text(text + "\n[timeouts]\njam_wait = 1.0\nresult = 60.0\n", encoding="utf-8")
    state = tmp_path / "state"
    kiosk = await start_kiosk(state, "--validator", driver, "--config", str(conf))
    try:
        await jam_mid_payment(kiosk)
        # nobody comes within jam_wait: the counted 50 yuan are paid, the customer is told why
        snap = await kiosk.until(lambda s: s["state"] == "payment_done", "the first payment")
        assert (snap["result"]["amount"], snap["jam"]["left_behind"]) == (5000, 2000)
        await kiosk.fault("jam_stacking", False)  # the note lands after the payment went
        snap = await kiosk.until(lambda s: s["follow_up"] is not None, "the follow-up told")
        assert snap["follow_up"] == {"amount": 2000, "seq": 2} and snap["state"] == "payment_done"
        await until_journal(state, "select count(*) from txns where seq = 2 and state = 'credited'")
    finally:
        assert await kiosk.stop() == 0
    with journal(state) as db:
        assert db.execute("select seq, state, amount from txns where seq is not null order by seq").fetchall() == [
            (1, "credited", 5000), (2, "credited", 2000)]
    assert backend_credits(state) == [("0012345678", 5000), ("0012345678", 2000)]


@pytest.mark.parametrize("driver", DRIVERS)
async def test_a_note_handed_back_after_its_payment_was_refused_is_told(tmp_path: Path, driver: str) -> None:
    """The wait runs out, the backend refuses the counted notes, then the stuck note comes back out:
    the refusal's screen tells the customer to take it, and the payment stays the counted notes."""
    conf = tmp_path / "kiosk.toml"
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    conf.write_text(text + "\n[timeouts]\njam_wait = 1.0\nhelp = 60.0\n", encoding="utf-8")
    state = tmp_path / "state"
    kiosk = await start_kiosk(state, "--validator", driver, "--config", str(conf))
    try:
        await jam_mid_payment(kiosk, "jam_acceptor")
        # the operator freezes the account while the customer waits for the staff
        with sqlite3.connect(state / "backend.sqlite3") as backend:
            backend.execute("UPDATE accounts SET status = 'frozen' WHERE account = '0012345678'")
        snap = await kiosk.until(lambda s: s["state"] == "payment_help" and s["result"] is not None,
                                 "the refusal")
        assert (snap["result"]["status"], snap["result"]["amount"]) == ("flagged", 5000)
        assert snap["jam"]["left_behind"] in (2000, 0)  # the refusal says a note is still stuck
        receipt = await kiosk.until_printed("合计: 50.00 元")
        assert [line for line in receipt if line.startswith(("纸币", "卡住", "未计入"))] in (
            ["纸币 1: 50.00 元", "卡住的纸币: 20.00 元", "未计入本笔，由工作人员处理"],
            ["纸币 1: 50.00 元", "卡住的纸币: 面额未知", "未计入本笔，由工作人员处理"])
        SHOTS.mkdir(parents=True, exist_ok=True)
        async with kiosk._session.get(kiosk.url + "sim/receipt.png") as resp:
            (SHOTS / f"receipt-refused-stuck-note-{driver}.png").write_bytes(await resp.read())
        await kiosk.fault("jam_acceptor", False)  # staff free the note: it comes back out
        snap = await kiosk.until(lambda s: (s["jam"] or {}).get("handed_back") is not None,
                                 "the refusal telling the note was handed back")
        assert snap["state"] == "payment_help" and snap["help"]["reason"] == "flagged"
        assert snap["jam"]["handed_back"] in (2000, 0) and snap["jam"]["left_behind"] is None
        assert snap["follow_up"] is None
    finally:
        assert await kiosk.stop() == 0
    with journal(state) as db:
        assert db.execute("select seq, state, amount from txns where seq is not null").fetchall() == [
            (1, "flagged", 5000)]
    assert backend_credits(state) == []


async def test_staff_end_the_payment_and_the_audit_names_them(tmp_path: Path) -> None:
    state = tmp_path / "state"
    kiosk = await start_kiosk(state)
    staff = Staff(kiosk)
    try:
        code, text = await staff.run("payment", "end", "--by", "guide-7")
        assert code == 1 and "no payment is waiting for a stuck note" in text
        await jam_mid_payment(kiosk)
        code, text = await staff.run("payment", "end", "--by", "guide-7")
        assert code == 0 and "50.00" in text and "20.00" in text, text
        snap = await kiosk.until(lambda s: s["state"] == "payment_done", "the payment")
        assert (snap["result"]["amount"], snap["jam"]["left_behind"]) == (5000, 2000)
    finally:
        assert await kiosk.stop() == 0
    with journal(state) as db:
        [(data,)] = db.execute("select data from audit where kind = 'payment_ended'").fetchall()
    # who ended it: the caller the control socket knows (the installer's shell) and the name given
    ended = json.loads(data)
    assert ended["by"] == f"installer {pwd.getpwuid(os.getuid()).pw_name} (uid {os.getuid()}) for guide-7"
    assert (ended["counted"], ended["stuck_note"]) == (5000, 2000)
