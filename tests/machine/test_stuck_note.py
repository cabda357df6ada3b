"""A note jams mid-payment (50 in, then a 20 jams while stacking): one visit, one payment.

The payment waits on the help screen for the stuck note (credited, handed back, or staff end
it), at most timeouts.jam_wait; then the counted notes go without it. Virtual time.
"""

from __future__ import annotations

import asyncio

import pytest

from statemachine.definition import END_KEYS, Timeouts
from tests.fakes import credit
from tests.machine.conftest import Kiosk
from tests.machine.test_timeouts_and_trouble import wait_for_state, wait_for_state_no_settle

pytestmark = pytest.mark.looptime

WAIT = Timeouts(help=60, jam_wait=600)


@pytest.fixture
async def k() -> Kiosk:
    kiosk = Kiosk(timeouts=WAIT)
    await kiosk.model.trigger("ready")
    return kiosk


async def jam_while_stacking(k: Kiosk, counted: tuple[int, ...] = (5000,), stuck: int = 2000) -> None:
    """The issue's case: `counted` notes in, then `stuck` jams between STACK and its credit."""
    await k.counted_then_stacking(counted, stuck)
    await k.model.trigger("note_jam")
    assert k.state == "payment_help"


def screen(k: Kiosk) -> dict:
    return k.model.snapshot()


async def test_the_help_screen_says_a_note_is_stuck_and_what_was_counted(k: Kiosk) -> None:
    await jam_while_stacking(k)
    snap = screen(k)
    assert snap["help"] == {"reason": "note_jam", "detail": None, "total": 5000}
    assert snap["jam"] == {"waiting": True, "note": 2000, "left_behind": None, "handed_back": None}
    assert snap["timeout"] == 600  # timeouts.jam_wait, not the help screen's 60 s
    assert k.validator.accepting is False and "note_jam" in k.alerts.raised
    assert k.payments.submitted == []


@pytest.mark.parametrize("key", ["7", "backspace", "cancel", "confirm", "finish", "touch"])
async def test_keys_wait_with_the_stuck_note(k: Kiosk, key: str) -> None:
    assert {"digit" if key == "7" else key} <= set(END_KEYS)
    await jam_while_stacking(k)
    await k.keys(key)
    assert k.state == "payment_help" and k.payments.submitted == []
    assert screen(k)["jam"]["waiting"] is True


async def test_freed_note_credited_before_the_jam_clears_is_in_the_one_payment(k: Kiosk) -> None:
    """ID-003's order: VEND VALID (credit) in the poll that ends the jam, then STACKED."""
    await jam_while_stacking(k)
    await credit_only(k, 2000)
    assert k.state == "payment_help"  # the jam is not over yet
    await k.model.trigger("jam_cleared")
    await k.settle()
    await k.model.trigger("note_stacked", 2000)  # late: the payment is already on its way
    await k.settle()
    assert_one_payment(k, [5000, 2000])


async def test_freed_note_credited_after_the_jam_clears_is_in_the_one_payment(k: Kiosk) -> None:
    """SSP's order: the jam ends, then the note is credited and stacked."""
    await jam_while_stacking(k)
    await k.model.trigger("jam_cleared")
    assert k.state == "payment_help" and screen(k)["jam"]["waiting"] is True
    await credit(k.model, 2000)
    await k.settle()
    assert_one_payment(k, [5000, 2000])


@pytest.mark.parametrize("event", ["note_returned", "note_rejected"])
@pytest.mark.parametrize("order", ["jam_first", "note_first"])
async def test_a_stuck_note_handed_back_ends_the_payment_with_the_counted_notes(
    k: Kiosk, event: str, order: str
) -> None:
    await jam_while_stacking(k)
    steps = [("jam_cleared",), (event, 2000)]
    for step in steps if order == "jam_first" else steps[::-1]:
        await k.model.trigger(*step)
    await k.settle()
    assert_one_payment(k, [5000])
    # the screen had said the note would join the payment: the result says it came back out
    assert screen(k)["jam"]["handed_back"] == 2000 and screen(k)["jam"]["left_behind"] is None


@pytest.mark.parametrize(("event", "args", "told"), [
    ("note_returned", (2000,), 2000), ("note_returned", (None,), 0), ("note_rejected", ("jam",), 0)])
async def test_a_note_jammed_in_the_acceptor_comes_back_after_the_payment_went_and_is_told(
    k: Kiosk, event: str, args: tuple, told: int
) -> None:
    """Before escrow nothing is in the transport: the jam's end settles it, the note comes back later."""
    await k.to_cash()
    await k.insert(5000)
    await k.model.trigger("note_jam")
    assert k.state == "payment_help" and screen(k)["jam"]["waiting"] is True
    await k.model.trigger("jam_cleared")
    await k.settle()
    assert_one_payment(k, [5000])
    assert screen(k)["jam"]["handed_back"] is None
    await k.model.trigger(event, *args)
    assert k.state == "payment_done" and screen(k)["jam"]["handed_back"] == told


@pytest.mark.parametrize(("event", "arg", "told"), [("note_returned", 2000, 2000), ("note_rejected", "jam", 0)])
@pytest.mark.parametrize("where", ["payment_submit", "payment_receipt"])
async def test_a_stuck_note_coming_back_while_its_payment_goes_is_told_on_the_result(
    k: Kiosk, where: str, event: str, arg: object, told: int
) -> None:
    gate = asyncio.Event()
    if where == "payment_submit":
        k.payments.submit_gate = gate
    else:
        k.receipts.gate = gate
    await k.to_cash()
    await k.insert(5000)
    await k.model.trigger("note_jam")
    await k.model.trigger("jam_cleared")
    await wait_for_state_no_settle(k, where, 1)
    await k.model.trigger(event, arg)
    gate.set()
    await k.settle()
    assert_one_payment(k, [5000])
    assert screen(k)["jam"]["handed_back"] == told


async def test_a_note_left_behind_then_handed_back_is_told_as_handed_back(k: Kiosk) -> None:
    await jam_while_stacking(k)
    await k.model.trigger("staff_end")
    await k.settle()
    assert screen(k)["jam"]["left_behind"] == 2000
    await k.model.trigger("note_returned", 2000)
    assert screen(k)["jam"] == {"waiting": False, "note": None, "left_behind": None, "handed_back": 2000}


async def test_a_note_returned_after_a_payment_without_a_jam_tells_nothing(k: Kiosk) -> None:
    await k.to_cash()
    await k.insert(5000)
    await k.keys("finish")
    await k.settle()
    await k.model.trigger("note_returned", 2000)
    assert k.state == "payment_done" and screen(k)["jam"] is None


@pytest.mark.parametrize("last", ["jam_cleared", "note_returned", "note_rejected"])
async def test_a_first_note_that_jams_and_goes_back_leaves_help_with_its_own_timeout(k: Kiosk, last: str) -> None:
    await jam_while_stacking(k, counted=())
    first = ("note_returned", 2000) if last == "jam_cleared" else ("jam_cleared",)
    await k.model.trigger(*first)
    assert k.state == "payment_help" and screen(k)["jam"]["waiting"] is True
    await k.model.trigger(last, 2000)
    snap = screen(k)
    assert snap["state"] == "payment_help" and snap["jam"]["waiting"] is False and snap["timeout"] == 60
    assert snap["jam"]["handed_back"] == 2000  # the screen says: taken back, nothing taken
    took = await wait_for_state(k, "service_idle", 70)
    assert 59 <= took <= 61
    assert k.payments.submitted == [] and [t["state"] for t in k.journal.txns.values()] == ["cancelled"]


async def test_a_first_note_that_jams_and_is_credited_is_the_payment(k: Kiosk) -> None:
    await jam_while_stacking(k, counted=())
    await k.model.trigger("jam_cleared")
    await credit(k.model, 2000)
    await k.settle()
    assert_one_payment(k, [2000])


async def test_after_jam_wait_the_counted_notes_go_without_the_stuck_one(k: Kiosk) -> None:
    await jam_while_stacking(k)
    await asyncio.sleep(590)
    await k.settle()
    assert k.state == "payment_help" and k.payments.submitted == []
    took = await wait_for_state(k, "payment_done", 20)
    assert took <= 11
    assert_one_payment(k, [5000])
    assert screen(k)["jam"] == {"waiting": False, "note": 2000, "left_behind": 2000, "handed_back": None}
    # the note lands later: kioskd books it as a follow-up payment and tells this customer
    txn = screen(k)["result"]["txn"]
    k.model.landed_after_submit(txn, 2000, 2)
    assert screen(k)["follow_up"] == {"amount": 2000, "seq": 2}
    k.model.landed_after_submit("another-payment", 1000, 3)
    assert screen(k)["follow_up"] == {"amount": 2000, "seq": 2}


async def test_after_jam_wait_with_nothing_counted_the_kiosk_goes_idle(k: Kiosk) -> None:
    await jam_while_stacking(k, counted=())
    await wait_for_state(k, "service_idle", 610)
    assert k.payments.submitted == []


async def test_staff_end_the_payment_with_the_counted_notes(k: Kiosk) -> None:
    await jam_while_stacking(k)
    await k.model.trigger("staff_end")
    await k.settle()
    assert_one_payment(k, [5000])
    assert screen(k)["jam"]["left_behind"] == 2000


async def test_staff_end_a_payment_that_counted_nothing(k: Kiosk) -> None:
    await jam_while_stacking(k, counted=())
    await k.model.trigger("staff_end")
    assert k.state == "service_idle" and k.payments.submitted == []


async def test_staff_end_is_ignored_when_no_note_is_stuck(k: Kiosk) -> None:
    await k.to_cash()
    await k.insert(1000)
    await k.model.trigger("validator_lost")
    assert k.state == "payment_help"
    await k.model.trigger("staff_end")
    assert k.state == "payment_help" and k.payments.submitted == []


async def credit_only(k: Kiosk, value: int) -> None:
    """The device credits the freed note (VEND VALID); STACKED is not reported yet."""
    from drivers.base import NoteCredited

    await k.model.commit_credit(NoteCredited("validator", value))


def assert_one_payment(k: Kiosk, notes: list[int]) -> None:
    assert k.state == "payment_done", k.state
    assert len(k.payments.submitted) == 1
    [txn] = k.payments.submitted
    assert k.journal.txns[txn]["notes"] == notes
    result = k.model.snapshot()["result"]
    assert (result["txn"], result["amount"]) == (txn, sum(notes))
    assert [r.notes for r in k.receipts.printed] == [tuple(notes)]


@pytest.mark.parametrize("trigger", ["note_returned", "note_rejected"])
async def test_the_stuck_note_back_after_its_payment_was_refused_is_told_on_the_refusal(
    k: Kiosk, trigger: str
) -> None:
    k.payments.status = "flagged"
    await jam_while_stacking(k)
    await asyncio.sleep(601)  # jam_wait: the counted notes go without the stuck one, and are refused
    await k.settle()
    assert k.state == "payment_help" and screen(k)["result"]["status"] == "flagged"
    assert screen(k)["jam"]["left_behind"] == 2000
    await k.model.trigger(trigger, 2000)
    assert k.state == "payment_help" and screen(k)["help"]["reason"] == "flagged"
    assert (screen(k)["jam"]["handed_back"], screen(k)["jam"]["left_behind"]) == (2000, None)
