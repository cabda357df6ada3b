"""A note that makes no progress in escrow or stacking for timeouts.note_progress is a jam the
validator never reported: the stuck-note path, cause no_progress. Virtual time."""

from __future__ import annotations

import asyncio

import pytest

from statemachine.definition import Timeouts
from tests.fakes import credit
from tests.machine.conftest import Kiosk
from tests.machine.test_stuck_note import assert_one_payment, credit_only
from tests.machine.test_timeouts_and_trouble import wait_for_state, wait_for_state_no_settle

pytestmark = pytest.mark.looptime

LIMITS = Timeouts(note_progress=30, jam_wait=600, cash_idle=600, large_text_factor=2)


@pytest.fixture
async def k() -> Kiosk:
    kiosk = Kiosk(timeouts=LIMITS)
    await kiosk.model.trigger("ready")
    return kiosk


async def held_in_stacking(k: Kiosk, counted: tuple[int, ...] = (5000,), held: int = 2000) -> None:
    """`counted` notes in, then `held` is sent to the box and the validator says nothing more."""
    await k.counted_then_stacking(counted, held)


async def test_a_note_held_in_stacking_ends_on_the_stuck_note_screen_with_its_cause(k: Kiosk) -> None:
    await held_in_stacking(k)
    snap = k.model.snapshot()
    assert snap["deadline"] is None and snap["timeout"] == 0  # the device's limit: no countdown shown
    took = await wait_for_state(k, "payment_help", 40)
    assert 29.5 <= took <= 31
    snap = k.model.snapshot()
    assert snap["help"] == {"reason": "note_jam", "detail": "no_progress", "total": 5000}
    assert snap["jam"] == {"waiting": True, "note": 2000, "left_behind": None, "handed_back": None}
    assert snap["timeout"] == 600  # now the customer's countdown: jam_wait
    assert k.alerts.raised == ["note_jam"]
    assert k.alerts.details[0] | {"txn": None} == {"cause": "no_progress", "where": "stacking", "txn": None,
                                                   "total": 5000, "note": 2000}
    # the validator is inhibited and asked nothing more: one STACK per note, no return, no reset
    assert k.validator.actions.count("stack") == 2 and k.validator.actions[-1] == "inhibit"
    assert "return" not in k.validator.actions
    assert k.model.problems == {"jam": "validator_fault"}  # no next customer while the note is out there
    assert k.payments.submitted == []


async def test_the_held_note_landing_later_joins_the_one_payment(k: Kiosk) -> None:
    await held_in_stacking(k)
    await wait_for_state(k, "payment_help", 40)
    await credit(k.model, 2000)  # the validator credits it at last
    await k.settle()
    assert_one_payment(k, [5000, 2000])


async def test_after_jam_wait_the_counted_notes_go_and_the_note_is_left_behind(k: Kiosk) -> None:
    await held_in_stacking(k)
    await wait_for_state(k, "payment_done", 640)
    assert_one_payment(k, [5000])
    assert k.model.snapshot()["jam"]["left_behind"] == 2000


async def test_the_held_note_handed_back_ends_the_payment_with_the_counted_notes(k: Kiosk) -> None:
    await held_in_stacking(k)
    await wait_for_state(k, "payment_help", 40)
    await k.model.trigger("note_returned", 2000)
    await k.settle()
    assert_one_payment(k, [5000])
    assert k.model.snapshot()["jam"]["handed_back"] == 2000


async def test_the_limit_starts_again_for_each_note(k: Kiosk) -> None:
    await k.to_cash()
    for value in (1000, 2000, 5000):
        await k.model.trigger("note_escrowed", value)
        await asyncio.sleep(25)  # each note slow, none over the limit
        assert k.state == "payment_cash_stacking"
        await credit(k.model, value)
        await k.settle()
        assert k.state == "payment_cash_waiting"
    assert k.model.notes == [1000, 2000, 5000] and k.alerts.raised == []


async def test_the_credit_point_is_progress_and_a_stacked_report_that_never_comes_is_no_jam(k: Kiosk) -> None:
    await held_in_stacking(k)
    await k.keys("finish")
    await asyncio.sleep(25)
    await credit_only(k, 2000)  # the credit point reached at 25 s: the limit starts again
    await asyncio.sleep(25)
    assert k.state == "payment_cash_stacking" and k.alerts.raised == []
    # STACKED never reported: 30 s after the credit the counted note is taken as stacked, and the
    # finish pressed meanwhile takes effect
    await wait_for_state(k, "payment_done", 10)
    assert k.alerts.raised == [] and k.model.problems == {}
    await k.model.trigger("note_stacked", 2000)  # the report, very late: nothing more happens
    await k.settle()
    assert_one_payment(k, [5000, 2000])


async def test_finish_pressed_while_the_note_is_held_waits_for_the_note(k: Kiosk) -> None:
    await held_in_stacking(k)
    await k.keys("finish")
    assert k.state == "payment_cash_stacking" and k.model.finish_pending
    await wait_for_state(k, "payment_help", 40)
    await k.keys("finish", "confirm")  # keys wait with the stuck note
    assert k.state == "payment_help" and k.payments.submitted == []
    await credit(k.model, 2000)
    await k.settle()
    assert_one_payment(k, [5000, 2000])


async def test_large_text_does_not_stretch_the_device_limit(k: Kiosk) -> None:
    await held_in_stacking(k)
    await k.keys("large_text")
    took = await wait_for_state(k, "payment_help", 70)
    assert took <= 31


async def test_a_note_left_in_escrow_when_the_stack_command_failed_ends_the_same_way(k: Kiosk) -> None:
    await k.to_cash()
    await k.insert(5000)

    async def port_gone() -> None:
        raise OSError("port gone")

    k.validator.stack = port_gone  # type: ignore[method-assign]
    with pytest.raises(OSError):
        await k.model.trigger("note_escrowed", 2000)
    assert k.state == "payment_cash_escrow"
    await wait_for_state(k, "payment_help", 40)
    assert k.alerts.details[0]["where"] == "escrow" and k.model.snapshot()["jam"]["note"] == 2000
    await k.model.trigger("note_returned", 2000)  # the validator hands it back at its own escrow time-out
    await k.settle()
    assert_one_payment(k, [5000])


async def test_a_journal_that_does_not_record_the_stack_intent_has_the_note_handed_back(k: Kiosk) -> None:
    await k.to_cash()
    await k.insert(5000)
    k.journal.intent_gate = asyncio.Event()  # the journal's thread is stuck (a dying card's fsync)
    k.model.spawn(k.model.trigger("note_escrowed", 2000), "note 2")
    await wait_for_state_no_settle(k, "payment_cash_escrow", 1)
    # no STACK without the intent: after note_progress the note goes back, the customer is told why
    took = await wait_for_state_no_settle(k, "payment_cash_waiting", 40)
    assert 29.5 <= took <= 31
    assert k.validator.actions.count("stack") == 1 and k.validator.actions[-1] == "return"
    snap = k.model.snapshot()
    assert (snap["message"], snap["notes"], snap["help"]) == ("journal", [5000], None)
    assert k.alerts.raised == [] and k.model.problems == {"storage": "storage"}  # out of service after this payment
    await k.model.trigger("note_returned", 2000)
    # the journal comes back: the intent it recorded late is withdrawn (that note went back)
    k.journal.intent_gate.set()
    await k.settle()
    assert k.journal.withdrawn == [(k.model.txn, 2000)] and k.journal.intents[-1][1] == 5000
    await k.keys("finish")
    assert_one_payment(k, [5000])
    await asyncio.sleep(60)
    await k.settle()
    assert k.state == "unavailable"


async def test_a_journal_that_does_not_close_the_payment_has_it_told_pending_and_submitted_by_no_one_else(
    k: Kiosk,
) -> None:
    await k.to_cash()
    await k.insert(5000)
    await k.insert(2000)
    k.journal.close_gate = asyncio.Event()  # the journal's thread is stuck on a write (a dying card's fsync)
    k.model.spawn(k.model.press("finish"), "finish")
    await wait_for_state_no_settle(k, "payment_submit", 1)
    # after note_progress the customer is told the truth: the notes are recorded, the crediting pending
    took = await wait_for_state_no_settle(k, "payment_done", 40)
    assert 29.5 <= took <= 31
    result = k.model.snapshot()["result"]
    assert (result["status"], result["amount"], result["seq"], result["account"]) == ("pending", 7000, 1, "0012345678")
    assert [(r.status, r.notes) for r in k.receipts.printed] == [("pending", (5000, 2000))]
    assert k.payments.submitted == [] and k.model.problems == {"storage": "storage"}
    # the close lands late, once (the storage watch's recovery closes and submits it when writes work)
    k.journal.close_gate.set()
    for _ in range(10):  # the thread's write finishing, polled (bounded)
        if k.journal.closes:
            break
        await asyncio.sleep(0.1)
    assert k.journal.closes == [result["txn"]] and k.journal.txns[result["txn"]]["state"] == "closed"
    assert k.payments.submitted == []
    await asyncio.sleep(60)
    await k.settle()
    assert k.state == "unavailable"
