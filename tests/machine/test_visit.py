"""The person at the kiosk: the rating on the result screen, the next customer's first digit
(done, help and reprint result screens),
large text with longer timeouts (virtual time)."""

from __future__ import annotations

import asyncio

import pytest

from statemachine.definition import Timeouts
from tests.machine.conftest import Kiosk
from tests.machine.test_timeouts_and_trouble import wait_for_state, wait_for_state_no_settle

pytestmark = pytest.mark.looptime


async def paid(kiosk: Kiosk, value: int = 1000) -> str:
    await kiosk.to_cash()
    await kiosk.insert(value)
    await kiosk.keys("finish")
    assert kiosk.state == "payment_done"
    return kiosk.snapshots[-1]["result"]["txn"]


async def test_one_rating_is_kept_with_the_payment_and_the_screen_thanks(kiosk: Kiosk) -> None:
    txn = await paid(kiosk)
    await kiosk.keys("rate_good")
    assert kiosk.state == "payment_done"
    assert kiosk.journal.ratings == {txn: "good"}
    assert kiosk.snapshots[-1]["rating"] == "good"
    await kiosk.keys("rate_poor")  # one press per payment: the second is ignored
    assert kiosk.journal.ratings == {txn: "good"}
    assert kiosk.snapshots[-1]["rating"] == "good"
    await kiosk.keys("cancel")
    assert kiosk.state == "service_idle" and kiosk.snapshots[-1]["rating"] is None


async def test_a_rating_while_the_receipt_prints(kiosk: Kiosk) -> None:
    kiosk.receipts.gate = asyncio.Event()
    await kiosk.to_cash()
    await kiosk.insert(2000)
    await kiosk.model.press("finish")
    await wait_for_state_no_settle(kiosk, "payment_receipt", 1)
    await kiosk.model.press("rate_fair")
    assert kiosk.state == "payment_receipt"
    kiosk.receipts.gate.set()
    await kiosk.settle()
    assert kiosk.state == "payment_done"
    assert list(kiosk.journal.ratings.values()) == ["fair"]


async def test_a_digit_while_the_receipt_prints_waits_for_nothing_and_the_result_follows(kiosk: Kiosk) -> None:
    """The customer whose receipt is printing is still at the kiosk: a digit then does not start
    the next account, and this customer's result is shown once the receipt is out."""
    kiosk.receipts.gate = asyncio.Event()
    await kiosk.to_cash()
    await kiosk.insert(2000)
    await kiosk.model.press("finish")
    await wait_for_state_no_settle(kiosk, "payment_receipt", 1)
    await kiosk.model.press("5")
    await kiosk.model.press("cancel")
    await kiosk.model.press("lang")  # handled after the others: they were seen and ignored
    assert kiosk.state == "payment_receipt" and kiosk.snapshots[-1]["locale"] == "en"
    kiosk.receipts.gate.set()
    await kiosk.settle()
    snap = kiosk.snapshots[-1]
    assert snap["state"] == "payment_done" and snap["result"]["amount"] == 2000
    assert snap["account"] == "0012345678"  # this customer's, not a new entry


async def test_a_flagged_payment_on_the_help_screen_can_be_rated(kiosk: Kiosk) -> None:
    kiosk.payments.status = "flagged"
    await kiosk.to_cash()
    await kiosk.insert(5000)
    await kiosk.keys("finish")
    assert kiosk.state == "payment_help"
    await kiosk.keys("rate_poor")
    assert kiosk.state == "payment_help"
    assert list(kiosk.journal.ratings.values()) == ["poor"]


async def test_no_rating_without_a_payment_on_screen(kiosk: Kiosk) -> None:
    await kiosk.type("0011111111")  # unknown: help without a payment
    await kiosk.keys("confirm")
    await kiosk.keys("rate_good")
    assert kiosk.state == "payment_help" and kiosk.journal.ratings == {}
    assert kiosk.snapshots[-1]["rating"] is None


async def test_a_digit_on_the_done_screen_starts_the_next_account_with_it(kiosk: Kiosk) -> None:
    await paid(kiosk)
    await kiosk.keys("rate_good", "large_text")
    await kiosk.keys("0")
    snap = kiosk.snapshots[-1]
    assert snap["state"] == "payment_account" and snap["account"] == "0"
    # the last customer's payment is gone from the screen
    assert (snap["result"], snap["total"], snap["notes"], snap["info"], snap["rating"]) == (None, 0, [], None, None)
    assert snap["large_text"] is False
    await kiosk.type("012345678")
    await kiosk.keys("confirm")
    assert kiosk.state == "payment_confirm"


async def test_a_digit_after_a_failed_look_up_starts_the_account_again_with_it(kiosk: Kiosk) -> None:
    await kiosk.type("0011111111")  # unknown: "please check it and enter it again"
    await kiosk.keys("confirm")
    assert kiosk.state == "payment_help"
    await kiosk.keys("0")
    snap = kiosk.snapshots[-1]
    assert (snap["state"], snap["account"], snap["help"]) == ("payment_account", "0", None)


async def test_a_digit_on_a_refused_payments_help_screen_starts_the_next_account(kiosk: Kiosk) -> None:
    kiosk.payments.status = "flagged"
    await kiosk.to_cash()
    await kiosk.insert(5000)
    await kiosk.keys("finish")
    assert kiosk.state == "payment_help"
    await kiosk.keys("4")
    snap = kiosk.snapshots[-1]
    assert (snap["state"], snap["account"], snap["result"], snap["help"]) == ("payment_account", "4", None, None)
    assert len(kiosk.payments.submitted) == 1  # the refused payment went once, as before


async def test_a_digit_on_a_help_screen_with_a_payment_still_open_does_not_start_another(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    await kiosk.model.trigger("validator_lost")  # before any note: the payment is cancelled
    await kiosk.keys("7")
    assert kiosk.state == "service_idle" and kiosk.snapshots[-1]["account"] == ""
    assert [t["state"] for t in kiosk.journal.txns.values()] == ["cancelled"]


async def test_a_digit_on_the_done_screen_of_an_out_of_service_kiosk_goes_idle(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    await kiosk.insert(1000)
    kiosk.model.set_problem("printer", "printer")
    await kiosk.keys("finish", "5")
    assert kiosk.state == "unavailable"


async def test_large_text_stretches_the_customer_timeouts_for_this_visit() -> None:
    k = Kiosk(timeouts=Timeouts(account=30, large_text_factor=2.0))
    await k.model.trigger("ready")
    await k.keys("large_text")
    assert k.state == "service_idle" and k.snapshots[-1]["large_text"] is True
    await k.type("1")
    assert k.snapshots[-1]["timeout"] == 60
    took = await wait_for_state(k, "service_idle", 90)
    assert 59.5 <= took <= 61
    # the visit is over: the next customer starts with normal text and timeouts
    assert k.snapshots[-1]["large_text"] is False
    await k.type("1")
    took = await wait_for_state(k, "service_idle", 40)
    assert 29.5 <= took <= 31


async def test_large_text_pressed_mid_countdown_restarts_it_longer() -> None:
    k = Kiosk(timeouts=Timeouts(confirm=40, large_text_factor=1.5))
    await k.model.trigger("ready")
    await k.type("0012345678")
    await k.keys("confirm")
    await asyncio.sleep(30)
    await k.keys("large_text")
    snap = k.snapshots[-1]
    assert (snap["state"], snap["timeout"], snap["large_text"]) == ("payment_confirm", 60, True)
    await k.keys("large_text")  # pressed again: normal text, and the countdown restarts short
    snap = k.snapshots[-1]
    assert (snap["timeout"], snap["large_text"]) == (40, False)
    took = await wait_for_state(k, "service_idle", 50)
    assert 39.5 <= took <= 41


@pytest.mark.parametrize("where", ["starting", "unavailable", "maintenance_login", "payment_cash_waiting"])
async def test_large_text_toggles_anywhere_without_changing_state(where: str) -> None:
    from tests.machine.test_end_screens_and_service import at

    if where == "payment_cash_waiting":
        k = Kiosk()
        await k.model.trigger("ready")
        await k.to_cash()
    else:
        k = await at(where)
    await k.keys("large_text")
    assert k.state == where and k.model.snapshot()["large_text"] is True
