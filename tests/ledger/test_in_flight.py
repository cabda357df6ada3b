"""A note between STACK and its credit when kioskd restarts (drivers.base.NoteCredited)."""

from __future__ import annotations

from pathlib import Path

from kioskd.ledger import Ledger
from tests.ledger.conftest import KIOSK, account


async def test_commit_clears_the_stack_intent(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    await ledger.stack_requested(txn, 10000)
    await ledger.commit_note(txn, 10000)
    assert await ledger.commit_in_flight_note() is None
    assert await ledger.drop_in_flight_note() is None
    assert (await ledger.transaction(txn)).amount == 10000  # type: ignore[union-attr]


async def test_in_flight_credit_joins_the_still_open_txn(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    await ledger.stack_requested(txn, 5000)
    assert await ledger.commit_in_flight_note() == (txn, 5000)
    record = await ledger.transaction(txn)
    assert record is not None
    assert (record.state, record.amount, record.seq) == ("open", 5000, 1)
    assert await ledger.counters() == {5000: 1}
    assert await ledger.commit_in_flight_note() is None  # credited once, never twice


async def test_in_flight_credit_after_restart_and_recovery(tmp_path: Path) -> None:
    before = await Ledger.open(tmp_path, KIOSK)
    txn = await before.open_payment(account())
    await before.stack_requested(txn, 10000)
    await before.commit_note(txn, 10000)
    await before.stack_requested(txn, 5000)  # ... power cut before VEND VALID came
    await before.close()

    after = await Ledger.open(tmp_path, KIOSK)
    assert await after.recover() == [txn]
    # the validator reports at power-up that the note did reach the box
    holder, value = await after.commit_in_flight_note()  # type: ignore[misc]
    assert value == 5000 and holder != txn
    first, second = await after.transaction(txn), await after.transaction(holder)
    assert first is not None and second is not None
    assert (first.state, first.amount, first.seq) == ("closed", 10000, 1)
    assert (second.state, second.amount, second.seq) == ("closed", 5000, 2)
    assert second.account == first.account and txn in (second.opened_reason or "")
    assert await after.counters() == {10000: 1, 5000: 1}
    assert await after.recover() == [txn, holder]
    await after.close()


async def test_in_flight_note_that_never_reached_the_box_is_dropped(tmp_path: Path) -> None:
    before = await Ledger.open(tmp_path, KIOSK)
    txn = await before.open_payment(account())
    await before.stack_requested(txn, 2000)
    await before.close()

    after = await Ledger.open(tmp_path, KIOSK)
    assert await after.drop_in_flight_note() == (txn, 2000)
    assert await after.commit_in_flight_note() is None
    assert await after.recover() == []
    record = await after.transaction(txn)
    assert record is not None and (record.state, record.amount) == ("cancelled", 0)
    assert await after.counters() == {}
    await after.close()


async def test_a_new_stack_intent_replaces_a_stale_one(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    await ledger.stack_requested(txn, 2000)  # that note came back out (returned)
    await ledger.stack_requested(txn, 500)
    assert await ledger.commit_in_flight_note() == (txn, 500)
    assert (await ledger.transaction(txn)).amount == 500  # type: ignore[union-attr]
