"""A timer acts only in the state entry that armed it: a key or a device's answer that comes as the
time runs out wins, and the timer's trigger, queued behind it, is dropped. Virtual time (looptime)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from statemachine.definition import Timeouts
from tests.machine.conftest import Kiosk
from tests.machine.test_timeouts_and_trouble import wait_for_state, wait_for_state_no_settle

pytestmark = pytest.mark.looptime

LIMITS = Timeouts(account=30, confirm=40, cash_idle=50, result=10, receipt=20, help=60)


@pytest.fixture
async def k() -> Kiosk:
    kiosk = Kiosk(timeouts=LIMITS, clock=lambda: asyncio.get_running_loop().time())
    await kiosk.model.trigger("ready")
    return kiosk


def as_the_time_runs_out(k: Kiosk, action: Callable[[], object]) -> None:
    """Do `action` in the loop step in which the timed state's time runs out, just ahead of its timer.

    On a busy kiosk a key (or the printer's answer) and the timer are both due when the loop comes
    round; the key's transition runs first and the timer's trigger is queued behind it. The model's
    deadline is the timer's own (the loop's clock, the same seconds); 0.3 us before it lands in the
    same looptime tick (1 us), ahead of the timer's wake-up.
    """
    asyncio.get_running_loop().call_at(k.model._deadline - 3e-7, action)


def press(k: Kiosk, key: str) -> Callable[[], None]:
    return lambda: k.model.spawn(k.model.press(key), f"key {key}")


async def past_the_deadline(k: Kiosk) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(k.model._deadline - loop.time() + 0.01)
    await k.settle()


async def test_a_receipt_printed_as_its_time_runs_out_still_shows_the_result(k: Kiosk) -> None:
    k.receipts.gate = asyncio.Event()
    await k.to_cash()
    await k.insert(1000)
    await k.model.press("finish")
    await wait_for_state_no_settle(k, "payment_receipt", 1)
    as_the_time_runs_out(k, k.receipts.gate.set)
    await past_the_deadline(k)
    # the customer reads the result (and may rate it) for the result screen's whole time
    snap = k.model.snapshot()
    assert snap["state"] == "payment_done"
    assert (snap["receipt"], snap["result"]["status"]) == ("printed", "credited")
    took = await wait_for_state(k, "service_idle", 15)
    assert 9.5 <= took <= 11


async def test_the_next_customers_first_digit_as_the_result_times_out_is_kept(k: Kiosk) -> None:
    await k.to_cash()
    await k.insert(1000)
    await k.keys("finish")
    assert k.state == "payment_done"
    as_the_time_runs_out(k, press(k, "7"))
    await past_the_deadline(k)
    assert (k.state, k.model.account) == ("payment_account", "7")
    took = await wait_for_state(k, "service_idle", 40)  # account entry's own time, from the digit
    assert 29.5 <= took <= 31


async def test_a_wrong_account_confirmed_as_its_time_runs_out_stays_on_screen_with_its_error(k: Kiosk) -> None:
    await k.type("12")
    as_the_time_runs_out(k, press(k, "confirm"))
    await past_the_deadline(k)
    snap = k.model.snapshot()
    assert (snap["state"], snap["account"]) == ("payment_account", "12")
    assert snap["account_error"] is not None
    took = await wait_for_state(k, "service_idle", 40)
    assert 29.5 <= took <= 31
