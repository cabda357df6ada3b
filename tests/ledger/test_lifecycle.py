"""A payment's life in the journal, as the machine and the uplink drive it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend_api.fields import format_utc
from kioskd.ledger import Ledger, LedgerError, NoteRecord, journal
from refbackend.rules import check_payload
from tests.ledger.conftest import KIOSK, account, credit, paid


async def test_payment_that_took_cash_is_closed_with_its_notes(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    opened = await ledger.transaction(txn)
    assert opened is not None
    assert (opened.state, opened.seq, opened.amount, opened.notes) == ("open", None, 0, ())
    assert opened.holder == "张*明" and opened.due == 12350

    for value in (10000, 5000):
        await ledger.stack_requested(txn, value)
        await ledger.commit_note(txn, value)
    assert await ledger.close_payment(txn) is True

    record = await ledger.transaction(txn)
    assert record is not None
    assert record.state == "closed"
    assert record.seq == 1
    assert record.amount == 15000
    assert [n.value for n in record.notes] == [10000, 5000]
    assert all(isinstance(n, NoteRecord) and n.at.endswith("Z") for n in record.notes)
    assert record.ended is not None and record.ended >= record.started
    assert await ledger.transaction(1) == record


async def test_session_without_notes_is_cancelled_and_uses_no_seq(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    assert await ledger.close_payment(txn) is False
    record = await ledger.transaction(txn)
    assert record is not None and (record.state, record.seq) == ("cancelled", None)
    # closing again answers the same and changes nothing
    assert await ledger.close_payment(txn) is False


async def test_seq_has_no_gaps_across_cancelled_lookups(ledger: Ledger) -> None:
    paid_ids = []
    for round_ in range(4):
        await paid(ledger)  # a look-up that the customer cancelled: no notes
        paid_ids.append(await paid(ledger, 1000 * (round_ + 1)))
    records = [await ledger.transaction(txn) for txn in paid_ids]
    assert [r.seq for r in records if r] == [1, 2, 3, 4]
    assert [r.amount for r in records if r] == [1000, 2000, 3000, 4000]


async def test_seq_is_given_by_the_first_note_not_by_opening(ledger: Ledger) -> None:
    first = await ledger.open_payment(account("111"))
    second = await ledger.open_payment(account("222"))
    await credit(ledger, second, 500)
    await credit(ledger, first, 100)
    assert (await ledger.transaction(second)).seq == 1  # type: ignore[union-attr]
    assert (await ledger.transaction(first)).seq == 2  # type: ignore[union-attr]


async def test_payload_matches_the_backend_api(ledger: Ledger) -> None:
    txn = await paid(ledger, 10000, 5000)
    payload = await ledger.payment_payload(txn)
    record = await ledger.transaction(txn)
    assert record is not None
    assert payload == {
        "type": "payment",
        "kiosk": KIOSK,
        "txn": txn,
        "seq": 1,
        "account": "0012345678",
        "amount": 15000,
        "currency": "CNY",
        "notes": [{"value": n.value, "at": n.at} for n in record.notes],
        "started": record.started,
        "ended": record.ended,
    }
    assert payload["amount"] == sum(n["value"] for n in payload["notes"])


async def test_no_payload_for_open_or_cancelled_txn(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    with pytest.raises(LedgerError, match="open"):
        await ledger.payment_payload(txn)
    await ledger.close_payment(txn)
    with pytest.raises(LedgerError, match="cancelled"):
        await ledger.payment_payload(txn)


async def test_payload_is_stored_once(ledger: Ledger) -> None:
    txn = await paid(ledger, 2000)
    await ledger.set_payload(txn, "jws-1")
    await ledger.set_payload(txn, "jws-1")  # a retry stores the same thing: fine
    with pytest.raises(LedgerError, match="different payload"):
        await ledger.set_payload(txn, "jws-2")
    assert (await ledger.transaction(txn)).payload == "jws-1"  # type: ignore[union-attr]


async def test_settle_pending_then_credited_and_credited_is_final(ledger: Ledger) -> None:
    txn = await paid(ledger, 5000)
    await ledger.settle(txn, "pending", reason="timeout")
    await ledger.settle(txn, "credited", balance=2650, ref="B-778812")
    record = await ledger.transaction(txn)
    assert record is not None
    assert (record.state, record.balance, record.ref) == ("credited", 2650, "B-778812")
    await ledger.settle(txn, "credited", balance=2650, ref="B-778812")  # the same 200 again
    await ledger.settle(txn, "credited", balance=1, ref="B-other")  # a late answer: first kept
    with pytest.raises(LedgerError, match="already credited"):
        await ledger.settle(txn, "flagged", reason="rejected")
    with pytest.raises(LedgerError, match="already credited"):
        await ledger.settle(txn, "pending")
    record = await ledger.transaction(txn)
    assert record is not None
    assert (record.state, record.balance, record.ref) == ("credited", 2650, "B-778812")


async def test_cannot_settle_open_cancelled_or_with_unknown_status(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    await credit(ledger, txn, 100)
    with pytest.raises(LedgerError, match="open"):
        await ledger.settle(txn, "credited")
    await ledger.close_payment(txn)
    with pytest.raises(LedgerError, match="settle status"):
        await ledger.settle(txn, "cancelled")
    empty = await paid(ledger)
    with pytest.raises(LedgerError, match="cancelled"):
        await ledger.settle(empty, "flagged", reason="x")


async def test_notes_only_into_open_txn_and_unknown_txn_refused(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    await credit(ledger, txn, 100)
    await ledger.stack_requested(txn, 100)  # a note on its way when the payment closes
    await ledger.close_payment(txn)
    with pytest.raises(LedgerError, match="closed"):
        await ledger.commit_note(txn, 100)  # its intent names it, but the payment is closed
    with pytest.raises(LedgerError, match="no stack intent"):
        await ledger.commit_note("no-such-txn", 100)
    assert (await ledger.transaction(txn)).amount == 100  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", [10.0, True, 0, -100, "100"])
async def test_money_must_be_positive_integer_fen(ledger: Ledger, bad: object) -> None:
    txn = await ledger.open_payment(account())
    with pytest.raises(LedgerError):
        await ledger.commit_note(txn, bad)  # type: ignore[arg-type]
    with pytest.raises(LedgerError):
        await ledger.stack_requested(txn, bad)  # type: ignore[arg-type]
    assert (await ledger.transaction(txn)).amount == 0  # type: ignore[union-attr]


async def test_reprint_flag_is_kept(ledger: Ledger) -> None:
    txn = await paid(ledger, 100)
    await ledger.mark_reprint(txn, True)
    assert (await ledger.transaction(txn)).reprint_wanted is True  # type: ignore[union-attr]
    await ledger.mark_reprint(txn, False)
    assert (await ledger.transaction(txn)).reprint_wanted is False  # type: ignore[union-attr]


async def test_transactions_filters_for_a_dispute(ledger: Ledger) -> None:
    a = await paid(ledger, 5000, number="111")
    b = await paid(ledger, 10000, number="222")
    c = await paid(ledger, 5000, number="222")
    cancelled = await paid(ledger, number="222")
    all_ids = [t.id for t in await ledger.transactions()]
    assert all_ids == [a, b, c, cancelled]
    assert [t.id for t in await ledger.transactions(account="222")] == [b, c, cancelled]
    assert [t.id for t in await ledger.transactions(amount=5000)] == [a, c]
    assert [t.id for t in await ledger.transactions(account="222", states=("closed",))] == [b, c]
    record_b = await ledger.transaction(b)
    assert record_b is not None
    # since is inclusive, until exclusive; a bound written without milliseconds still works
    since = [t.id for t in await ledger.transactions(since=record_b.started)]
    assert since[0] == b and a not in since
    assert b not in [t.id for t in await ledger.transactions(until=record_b.started)]
    assert await ledger.transactions(since="2000-01-01T00:00:00Z", until="2000-01-02T00:00:00Z") == []
    with pytest.raises(LedgerError, match="unknown transaction states"):
        await ledger.transactions(states=("lost",))


async def test_journal_of_another_kiosk_or_currency_is_refused(tmp_path: Path) -> None:
    first = await Ledger.open(tmp_path, KIOSK)
    await first.close()
    with pytest.raises(LedgerError, match="kiosk_id"):
        await Ledger.open(tmp_path, "K-0002")
    with pytest.raises(LedgerError, match="currency"):
        await Ledger.open(tmp_path, KIOSK, currency="USD")


async def test_account_in_another_currency_is_refused(ledger: Ledger) -> None:
    foreign = account()
    foreign = type(foreign)(**{**foreign.__dict__, "currency": "USD"})
    with pytest.raises(LedgerError, match="currency"):
        await ledger.open_payment(foreign)


async def test_closed_ledger_refuses_calls(tmp_path: Path) -> None:
    ledger = await Ledger.open(tmp_path, KIOSK)
    await ledger.close()
    await ledger.close()
    with pytest.raises(LedgerError, match="closed"):
        await ledger.counters()


async def test_connection_belongs_to_the_ledger_thread(ledger: Ledger) -> None:
    # sqlite3's same-thread check is on: the event loop thread cannot touch the connection
    import sqlite3

    assert ledger._db is not None
    with pytest.raises(sqlite3.ProgrammingError, match="thread"):
        ledger._db.conn.execute("SELECT 1")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The journal's wall clock, from 2026-12-03 23:50 UTC; a test steps it by changing clock[0]."""
    now = [datetime(2026, 12, 3, 23, 50, tzinfo=UTC)]
    monkeypatch.setattr(journal, "utc_now", lambda: format_utc(now[0]))
    return now


@pytest.mark.parametrize("back", [timedelta(minutes=10), timedelta(days=1)])
async def test_a_clock_stepped_back_during_a_payment_never_ends_it_before_it_started(
        ledger: Ledger, clock: list[datetime], back: timedelta) -> None:
    # an NTP step, or the backend's clock taken over, while the customer pays: the backend
    # refuses a payment that ended before it started, and the kiosk would flag it for staff
    txn = await ledger.open_payment(account())
    await ledger.stack_requested(txn, 5000)
    await ledger.commit_note(txn, 5000)
    clock[0] -= back
    assert await ledger.close_payment(txn) is True

    record = await ledger.transaction(txn)
    assert record is not None and record.ended is not None and record.ended >= record.started, record
    check_payload(await ledger.payment_payload(txn), "payment")  # the backend's own rules take it


@pytest.mark.parametrize("back", [timedelta(minutes=10), timedelta(days=1)])
async def test_a_clock_stepped_back_during_a_payment_never_puts_a_note_before_its_start_or_the_note_before(
        ledger: Ledger, clock: list[datetime], back: timedelta) -> None:
    # the clock steps back after the payment opened, again between two notes, and before it closes:
    # each note's own time (in the payload and the chain) keeps the payment's order
    txn = await ledger.open_payment(account())
    clock[0] -= back
    await ledger.stack_requested(txn, 5000)
    await ledger.commit_note(txn, 5000)
    clock[0] += back + timedelta(minutes=1)
    await ledger.stack_requested(txn, 10000)
    await ledger.commit_note(txn, 10000)
    clock[0] -= back
    await ledger.stack_requested(txn, 2000)
    await ledger.commit_note(txn, 2000)
    clock[0] -= back
    assert await ledger.close_payment(txn) is True

    payload = await ledger.payment_payload(txn)
    times = [payload["started"], *(note["at"] for note in payload["notes"]), payload["ended"]]
    assert times == sorted(times), times
    assert payload["notes"][0]["at"] == payload["started"] and payload["notes"][2]["at"] == payload["notes"][1]["at"]
    check_payload(payload, "payment")  # the backend's own rules take it
