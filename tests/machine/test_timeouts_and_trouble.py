"""Timeouts in virtual time (looptime), cancel at every step, jams and health."""

from __future__ import annotations

import asyncio

import pytest

from statemachine.definition import Timeouts
from tests.machine.conftest import Kiosk

pytestmark = pytest.mark.looptime

SHORT = Timeouts(account=30, confirm=40, cash_idle=50, result=10, receipt=20, help=60)


@pytest.fixture
async def slow() -> Kiosk:
    k = Kiosk(timeouts=SHORT)
    await k.model.trigger("ready")
    return k


async def wait_for_state(k: Kiosk, state: str, limit: float) -> float:
    """Wait (in loop time) until the machine is in `state`; returns the loop time it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while k.state != state:
        if loop.time() - start > limit:
            raise AssertionError(f"still {k.state} after {limit}s, wanted {state}")
        await asyncio.sleep(0.5)
        await k.settle()
    return loop.time() - start


async def test_account_entry_times_out_to_idle(slow: Kiosk) -> None:
    await slow.type("0012")
    took = await wait_for_state(slow, "service_idle", 40)
    assert 29.5 <= took <= 31


async def test_each_key_restarts_the_account_timer(slow: Kiosk) -> None:
    await slow.type("1")
    for digit in "23456":
        await asyncio.sleep(20)
        await slow.keys(digit)
    assert slow.state == "payment_account"
    assert slow.snapshots[-1]["account"] == "123456"


async def test_confirmation_times_out_to_idle_and_takes_no_cash(slow: Kiosk) -> None:
    await slow.type("0012345678")
    await slow.keys("confirm")
    took = await wait_for_state(slow, "service_idle", 50)
    assert 39.5 <= took <= 41
    assert slow.journal.txns == {}


async def test_cash_timeout_with_no_notes_goes_idle_and_inhibits(slow: Kiosk) -> None:
    await slow.to_cash()
    took = await wait_for_state(slow, "service_idle", 60)
    assert 49.5 <= took <= 51
    assert slow.validator.accepting is False
    assert [t["state"] for t in slow.journal.txns.values()] == ["cancelled"]


async def test_cash_timeout_with_notes_below_min_still_submits(slow: Kiosk) -> None:
    await slow.type("0087654321")  # min 1000
    await slow.keys("confirm", "confirm")
    await slow.insert(500)
    await wait_for_state(slow, "payment_done", 60)
    assert slow.snapshots[-1]["result"]["amount"] == 500
    assert slow.validator.accepting is False


async def test_the_cash_timer_restarts_after_each_note(slow: Kiosk) -> None:
    await slow.to_cash()
    await asyncio.sleep(40)
    await slow.insert(100)
    await asyncio.sleep(40)
    assert slow.state == "payment_cash_waiting"


async def test_the_countdown_deadline_is_published_for_timed_states(slow: Kiosk) -> None:
    await slow.type("1")
    snap = slow.snapshots[-1]
    assert snap["timeout"] == 30 and snap["deadline"] is not None
    await slow.keys("cancel")
    assert slow.snapshots[-1]["deadline"] is None


@pytest.mark.parametrize(("status", "ends_in", "reason"), [
    ("credited", "payment_done", None),
    ("flagged", "payment_help", "flagged"),  # a flagged payment still asks for staff
])
async def test_a_receipt_that_never_finishes_times_out(slow: Kiosk, status: str, ends_in: str,
                                                      reason: str | None) -> None:
    slow.payments.status = status
    slow.receipts.gate = asyncio.Event()
    await slow.to_cash()
    await slow.insert(1000)
    await slow.model.press("finish")
    await wait_for_state_no_settle(slow, "payment_receipt", 1)
    took = await wait_for_state_no_settle(slow, ends_in, 30)
    assert 19.5 <= took <= 21
    snap = slow.snapshots[-1]
    assert (snap["receipt"], snap["result"]["status"]) == ("failed", status)
    assert (snap["help"] or {}).get("reason") == reason
    slow.receipts.gate.set()


async def wait_for_state_no_settle(k: Kiosk, state: str, limit: float) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    while k.state != state:
        assert loop.time() - start <= limit, k.state
        await asyncio.sleep(0.5)
    return loop.time() - start


async def test_result_screen_times_out_to_idle(slow: Kiosk) -> None:
    await slow.to_cash()
    await slow.insert(1000)
    await slow.keys("finish")
    took = await wait_for_state(slow, "service_idle", 20)
    assert 9.5 <= took <= 11


async def test_help_after_a_failed_lookup_times_out_to_idle(slow: Kiosk) -> None:
    await slow.type("0011111111")
    await slow.keys("confirm")
    assert slow.state == "payment_help"
    took = await wait_for_state(slow, "service_idle", 70)
    assert 59.5 <= took <= 61


@pytest.mark.parametrize("step", ["account", "confirm", "cash"])
async def test_cancel_at_each_customer_step_returns_to_idle(slow: Kiosk, step: str) -> None:
    await slow.type("0012345678")
    if step in ("confirm", "cash"):
        await slow.keys("confirm")
    if step == "cash":
        await slow.keys("confirm")
    await slow.keys("cancel")
    assert slow.state == "service_idle"
    assert slow.validator.accepting is False
    assert slow.payments.submitted == []


async def test_cancel_during_lookup_returns_to_idle(slow: Kiosk) -> None:
    slow.payments.lookup_gate = asyncio.Event()
    await slow.type("0012345678")
    await slow.model.press("confirm")
    await slow.model.press("cancel")
    assert slow.state == "service_idle"
    slow.payments.lookup_gate.set()


async def test_cancel_with_cash_in_the_box_is_refused(slow: Kiosk) -> None:
    await slow.to_cash()
    await slow.insert(1000)
    await slow.keys("cancel")
    assert slow.state == "payment_cash_waiting"
    assert slow.snapshots[-1]["message"] == "cancel_refused"


async def test_a_jam_keeps_the_counted_notes_and_submits_when_cleared(slow: Kiosk) -> None:
    await slow.to_cash()
    await slow.insert(2000)
    await slow.model.trigger("note_jam")
    assert slow.state == "payment_help"
    snap = slow.snapshots[-1]
    assert snap["help"] == {"reason": "note_jam", "detail": None, "total": 2000}
    assert slow.validator.accepting is False
    assert "note_jam" in slow.alerts.raised
    await slow.model.trigger("jam_cleared")
    await slow.settle()
    assert slow.state == "payment_done"
    assert slow.snapshots[-1]["result"]["amount"] == 2000


async def test_a_validator_lost_is_submitted_at_the_latest_when_help_times_out(slow: Kiosk) -> None:
    await slow.to_cash()
    await slow.insert(2000)
    await slow.model.trigger("validator_lost")
    took = await wait_for_state(slow, "payment_done", 70)
    assert 59.5 <= took <= 61
    assert len(slow.payments.submitted) == 1


async def test_validator_lost_or_box_full_during_cash_ends_with_what_was_counted(slow: Kiosk) -> None:
    await slow.to_cash()
    await slow.insert(5000)
    await slow.model.trigger("stacker_full")
    assert slow.snapshots[-1]["help"]["reason"] == "stacker_full"
    await slow.keys("confirm")
    assert slow.state == "payment_done"
    assert slow.snapshots[-1]["result"]["amount"] == 5000


async def test_a_problem_at_start_keeps_the_kiosk_unavailable_until_cleared() -> None:
    k = Kiosk()
    k.model.set_problem("validator", "validator_offline")
    await k.model.trigger("ready")
    assert k.state == "unavailable"
    assert k.snapshots[-1]["unavailable"] == {"reason": "validator_offline"}
    await k.keys("0", "confirm")
    assert k.state == "unavailable"
    k.model.set_problem("validator", None)
    await k.model.trigger("health_changed")
    assert k.state == "service_idle"


async def test_a_problem_during_a_payment_waits_for_the_payment_to_end(slow: Kiosk) -> None:
    await slow.to_cash()
    await slow.insert(1000)
    slow.model.set_problem("printer", "printer")
    await slow.model.trigger("health_changed")
    assert slow.state == "payment_cash_waiting"
    await slow.keys("finish", "0")
    assert slow.state == "unavailable"
