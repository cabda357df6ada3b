"""A note's entry links on the chain's real head, whatever was written, refused or undone since the last credit.

The credit links on the head it remembers from the last intent or credit it committed (no read on
the hot path); any other write on the connection in between must make it read the head again.
"""

from __future__ import annotations

import json

import pytest

from kioskd.ledger import Ledger, LedgerError
from kioskd.ledger.audit import append_entry
from tests.ledger.conftest import account, credit


async def note_links(ledger: Ledger) -> list[bool]:
    """For each note entry: whether its prev is the hash of the entry just before it and its seq its payment's."""
    def read() -> list[bool]:
        assert ledger._db is not None
        conn = ledger._db.conn
        rows = conn.execute("SELECT kind, prev, hash, data FROM audit ORDER BY seq").fetchall()
        seqs = dict(conn.execute("SELECT id, seq FROM txns"))
        return [prev == rows[i - 1][2] and json.loads(data)["seq"] == seqs[json.loads(data)["txn"]]
                for i, (kind, prev, _, data) in enumerate(rows) if kind == "note" and i]
    return await ledger._run(read)


async def test_entries_written_between_intent_and_credit_are_linked_over(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    await credit(ledger, txn)  # the payment's seq is known from here on
    await ledger.stack_requested(txn, 2000)
    await ledger.audit_append("door", {"state": "open"})  # another task's entry, between the two
    await ledger.commit_note(txn, 2000)
    await credit(ledger, txn, 5000)
    assert await ledger.audit_verify() is None
    assert await note_links(ledger) == [True, True, True]


async def test_a_refused_credit_or_an_undone_entry_leaves_the_head_read_again(ledger: Ledger) -> None:
    closed = await ledger.open_payment(account())
    await credit(ledger, closed)
    await ledger.close_payment(closed)
    txn = await ledger.open_payment(account())
    await credit(ledger, txn)
    await ledger.stack_requested(txn, 1000)
    with pytest.raises(LedgerError, match="stack intent"):
        await ledger.commit_note(closed, 1000)  # refused: the intent names the open payment
    await ledger.commit_note(txn, 1000)

    def undone_entry() -> None:  # an entry whose transaction rolls back (a refusal after it)
        assert ledger._db is not None
        with ledger._db.atomic():
            append_entry(ledger._db.conn, "door", {"state": "open"})
            raise LedgerError("refused after the entry")

    await ledger.stack_requested(txn, 1000)
    with pytest.raises(LedgerError, match="refused after"):
        await ledger._run(undone_entry)
    await ledger.commit_note(txn, 1000)

    def intent_inside_an_undone_transaction() -> None:  # the intent commits only with its caller
        assert ledger._db is not None
        with ledger._db.atomic():
            ledger._journal.stack_requested(txn, 1000)
            raise LedgerError("caller refused")

    await ledger.stack_requested(txn, 1000)
    with pytest.raises(LedgerError, match="caller refused"):
        await ledger._run(intent_inside_an_undone_transaction)
    await ledger.commit_note(txn, 1000)
    assert await ledger.audit_verify() is None
    assert await note_links(ledger) == [True] * 5
