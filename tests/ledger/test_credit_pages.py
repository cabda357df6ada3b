"""A note's credit writes the pages its facts live on and no others: one fsync of as few bytes as it can."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import pytest

from kioskd.ledger import Ledger
from kioskd.ledger.audit import kind_indexed
from tests.ledger.conftest import KIOSK, account, credit, raw

WAL_HEADER, FRAME_HEADER, PAGE = 32, 24, 4096


def written_btrees(state_dir: Path) -> set[str]:
    """The tables and indexes whose pages are in the WAL (what the last commits wrote)."""
    wal = (state_dir / "journal.sqlite3-wal").read_bytes()
    pages = {struct.unpack(">I", wal[at:at + 4])[0] for at in range(WAL_HEADER, len(wal), FRAME_HEADER + PAGE)}
    conn = raw(state_dir)
    names = dict(conn.execute("SELECT pageno, name FROM dbstat"))
    conn.close()
    return {names[p] for p in pages if p in names}


async def test_a_later_note_of_a_payment_writes_only_what_it_changes(tmp_path: Path) -> None:
    ledger = await Ledger.open(tmp_path, KIOSK)
    try:
        txn = await ledger.open_payment(account())
        await credit(ledger, txn, 5000)  # the first note gives the payment its seq
        await ledger.stack_requested(txn, 2000)
        await ledger._run(lambda: ledger._db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
        await ledger.commit_note(txn, 2000)
        written = written_btrees(tmp_path)
    finally:
        await ledger.close_payment(txn)
        await ledger.close()
    # the note, its payment's amount, the box counter and the chain entry (no index on its random hash
    # since migration 17, none on its kind since 20): the payment's seq is already given, so its seq
    # index is not rewritten; the stack intent the credit clears is its own page
    assert written == {"notes", "notes_txn", "txns", "counters", "audit", "stack_intent"}


async def test_a_note_and_its_stack_intent_write_no_index_of_the_chain(tmp_path: Path) -> None:
    """Migration 20: audit_kind leaves out the entries of every note (intent and credit); the kinds
    start-up and the registers look up still find it (their queries say audit.kind_indexed)."""
    ledger = await Ledger.open(tmp_path, KIOSK)
    try:
        txn = await ledger.open_payment(account())
        await credit(ledger, txn, 5000)
        await ledger._run(lambda: ledger._db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
        await ledger.stack_requested(txn, 2000)
        await ledger.commit_note(txn, 2000)
        written = written_btrees(tmp_path)
    finally:
        await ledger.close_payment(txn)
        await ledger.close()
    assert written == {"notes", "notes_txn", "txns", "counters", "audit", "stack_intent"}
    conn = raw(tmp_path)
    try:
        def plan(kinds: tuple[str, ...]) -> str:
            marks = ", ".join("?" * len(kinds))
            return " ".join(row[3] for row in conn.execute(
                f"EXPLAIN QUERY PLAN SELECT seq FROM audit WHERE kind IN ({marks}){kind_indexed(kinds)}", kinds))
        assert "INDEX audit_kind" in plan(("checkpoint",))
        assert "INDEX audit_kind" in plan(("txn_open", "txn_state"))
        assert "INDEX audit_kind" not in plan(("note",))  # by seq: it is not in the index
        assert [row[0] for row in conn.execute("SELECT seq FROM audit WHERE kind = 'txn_open'"
                                               + kind_indexed())] == [1]
    finally:
        conn.close()


async def test_the_amount_check_sums_a_payments_notes_from_the_index_alone(tmp_path: Path) -> None:
    """txns_amount_is_sum re-adds the payment's notes on every credit: migration 19 puts each note's value
    in notes_txn, so no note row is read for it; the amount still is the sum (and a wrong one refused)."""
    ledger = await Ledger.open(tmp_path, KIOSK)
    try:
        txn = await ledger.open_payment(account())
        for value in (5000, 2000, 1000):
            await credit(ledger, txn, value)
        assert (await ledger.transaction(txn)).amount == 8000  # type: ignore[union-attr]
    finally:
        await ledger.close_payment(txn)
        await ledger.close()
    conn = raw(tmp_path)
    try:
        [plan] = conn.execute("EXPLAIN QUERY PLAN SELECT COALESCE(SUM(value), 0) FROM notes WHERE txn = ?",
                              (txn,)).fetchall()
        assert "COVERING INDEX notes_txn" in plan[3]
        with pytest.raises(sqlite3.IntegrityError, match="sum of the notes"):
            conn.execute("UPDATE txns SET amount = 7000 WHERE id = ?", (txn,))
    finally:
        conn.close()
