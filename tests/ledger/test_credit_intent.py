"""A credit is booked only to the payment whose stack intent names it, with that value (docs/spec/customer-flow.md)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kioskd.custody.session import key_signer
from kioskd.ledger import Ledger, LedgerError
from kioskd.uplink.keys import signature_checker
from tests.ledger.conftest import account


async def books(ledger: Ledger) -> tuple[list[tuple[str, int]], dict[int, int]]:
    """Every note (txn, value) in the journal and the box counters."""
    rows = await ledger._run(lambda: ledger._db.execute("SELECT txn, value FROM notes ORDER BY id").fetchall())
    return [tuple(row) for row in rows], await ledger.counters()


async def test_a_credit_with_no_intent_at_all_is_refused_and_books_nothing(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    with pytest.raises(LedgerError, match="stack intent"):
        await ledger.commit_note(txn, 2000)
    assert await books(ledger) == ([], {})
    assert (await ledger.transaction(txn)).amount == 0  # type: ignore[union-attr]


async def test_a_credit_to_a_payment_while_the_intent_is_another_payments_goes_to_that_payment(
    ledger: Ledger,
) -> None:
    first = await ledger.open_payment(account())
    await ledger.stack_requested(first, 2000)  # the note is held ...
    assert await ledger.close_payment(first) is False  # ... its payment ends without it
    second = await ledger.open_payment(account("0099999999"))
    with pytest.raises(LedgerError, match="stack intent"):
        await ledger.commit_note(second, 2000)  # the held note lands during the next payment
    assert await books(ledger) == ([], {})
    # the intent is untouched: the in-flight path books the note where it belongs, once
    holder, value = await ledger.commit_in_flight_note(2000)  # type: ignore[misc]
    record = await ledger.transaction(holder)
    assert record is not None and value == 2000 and holder not in (first, second)
    assert (record.account, record.amount, record.state) == ("0012345678", 2000, "closed")
    assert await books(ledger) == ([(holder, 2000)], {2000: 1})
    assert (await ledger.transaction(second)).amount == 0  # type: ignore[union-attr]
    assert await ledger.commit_in_flight_note(2000) is None  # never twice


async def test_a_credit_of_another_value_than_the_intent_is_refused_and_keeps_the_intent(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    await ledger.stack_requested(txn, 5000)
    with pytest.raises(LedgerError, match="stack intent"):
        await ledger.commit_note(txn, 2000)
    assert await ledger.commit_in_flight_note(2000) is None  # not the note the intent names either
    assert await books(ledger) == ([], {})
    await ledger.commit_note(txn, 5000)  # the note it names is still credited, once
    assert await books(ledger) == ([(txn, 5000)], {5000: 1})
    with pytest.raises(LedgerError, match="stack intent"):
        await ledger.commit_note(txn, 5000)  # a repeated credit finds no intent: never twice
    assert (await ledger.transaction(txn)).amount == 5000  # type: ignore[union-attr]


async def test_the_remembered_chain_head_survives_a_refused_credit(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    await ledger.stack_requested(txn, 1000)
    await ledger.commit_note(txn, 1000)
    with pytest.raises(LedgerError):
        await ledger.commit_note(txn, 1000)
    await ledger.stack_requested(txn, 1000)
    await ledger.commit_note(txn, 1000)
    key = Ed25519PrivateKey.generate()
    await ledger.audit_checkpoint(key_signer(key))
    assert await ledger.audit_check(signature_checker(key.public_key())) == []  # the chain and the tables agree


async def test_a_stack_intent_written_after_its_note_went_back_is_withdrawn_and_the_chain_says_so(
    ledger: Ledger,
) -> None:
    txn = await ledger.open_payment(account())
    await ledger.stack_requested(txn, 2000)  # landed after the machine gave up waiting and returned the note
    assert await ledger.withdraw_stack_intent(txn, 2000) is True
    assert await ledger.commit_in_flight_note(2000) is None  # no note of it is ever booked
    assert await ledger.withdraw_stack_intent(txn, 2000) is False  # nothing left to withdraw
    await ledger.stack_requested(txn, 5000)  # the next note's intent is never withdrawn by the old one's
    assert await ledger.withdraw_stack_intent(txn, 2000) is False
    await ledger.commit_note(txn, 5000)
    assert await books(ledger) == ([(txn, 5000)], {5000: 1})
    rows = await ledger._run(lambda: ledger._db.execute(
        "SELECT kind, data FROM audit WHERE kind IN ('stack_intent', 'stack_clear') ORDER BY seq").fetchall())
    assert [kind for kind, _ in rows] == ["stack_intent", "stack_clear", "stack_intent"]
    key = Ed25519PrivateKey.generate()
    await ledger.audit_checkpoint(key_signer(key))
    assert await ledger.audit_check(signature_checker(key.public_key())) == []  # the chain and the tables agree
