"""In-doubt notes: a stack intent whose fate the validator could not tell, kept, settled once, chained."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kioskd.ledger import Ledger, LedgerError, doubts, integrity
from kioskd.ledger.moneycheck import check_stack_intent
from tests.ledger.conftest import KIOSK, account, raw


async def doubt_after_restart(tmp_path: Path, value: int = 2000) -> tuple[Ledger, str]:
    """A payment with one note credited and a second sent to be stacked when the kiosk died."""
    before = await Ledger.open(tmp_path, KIOSK)
    txn = await before.open_payment(account())
    await before.stack_requested(txn, 1000)
    await before.commit_note(txn, 1000)
    await before.stack_requested(txn, value)
    await before.close()
    after = await Ledger.open(tmp_path, KIOSK)
    assert await after.recover() == [txn]
    return after, txn


async def test_the_intent_becomes_an_in_doubt_note_on_its_payment(tmp_path: Path) -> None:
    ledger, txn = await doubt_after_restart(tmp_path)
    try:
        note = await ledger.doubts.from_stack_intent()
        assert note is not None and (note.id, note.txn, note.value, note.state) == (1, txn, 2000, "in_doubt")
        # the intent is gone (nothing left to drop or credit) and the payment is unchanged
        assert await ledger.doubts.from_stack_intent() is None
        assert await ledger.drop_in_flight_note() is None and await ledger.commit_in_flight_note() is None
        record = await ledger.transaction(txn)
        assert record is not None and (record.amount, record.state) == (1000, "closed")
        assert [d.id for d in await ledger.doubts.notes(txn=txn)] == [1]
        conn = raw(tmp_path)
        assert doubts.check_doubt_notes(conn) is None and check_stack_intent(conn) is None
        [record] = await ledger.doubts.batch_records(0, 10)
        assert record == {"kind": "doubt", "id": 1, "entry": record["entry"], "txn": txn, "value": 2000,
                          "at": note.at, "recorded": note.recorded, "state": "in_doubt", "settled": None,
                          "by": None, "basis": None, "reason": None, "case": None}
    finally:
        await ledger.close()


async def test_settled_once_never_twice_and_unknown_refused(tmp_path: Path) -> None:
    ledger, _ = await doubt_after_restart(tmp_path)
    try:
        note = await ledger.doubts.from_stack_intent()
        assert note is not None
        with pytest.raises(LedgerError, match="no in-doubt note 7"):
            await ledger.doubts.settle(7, "not_in_box", by="2001", basis="staff", reason="r")
        with pytest.raises(LedgerError, match="stacked or not_in_box"):
            await ledger.doubts.settle(note.id, "credited", by="2001", basis="staff", reason="r")
        settled = await ledger.doubts.settle(note.id, "not_in_box", by="2001", basis="staff", reason="returned")
        assert (settled.state, settled.settled_by, settled.basis) == ("not_in_box", "2001", "staff")
        with pytest.raises(LedgerError, match="settled already"):
            await ledger.doubts.settle(note.id, "not_in_box", by="2001", basis="staff", reason="again")
        records = await ledger.doubts.batch_records(0, 10)
        assert [r["state"] for r in records] == ["in_doubt", "not_in_box"] and records[1]["by"] == "2001"
        assert len(await ledger.doubts.batch_records(records[0]["entry"], 10)) == 1
    finally:
        await ledger.close()


async def test_the_table_is_checked_against_the_chain(tmp_path: Path) -> None:
    assert set(doubts.CHECKS) <= set(integrity.TABLE_CHECKS)  # run at start-up and by audit verify
    ledger, _ = await doubt_after_restart(tmp_path)
    try:
        note = await ledger.doubts.from_stack_intent()
        assert note is not None
    finally:
        await ledger.close()
    conn = raw(tmp_path)
    for sql in ["DELETE FROM doubt_notes", "UPDATE doubt_notes SET value = 5000"]:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(sql)
    # settled behind the ledger's back (no chain entry): caught
    conn.execute("UPDATE doubt_notes SET state = 'not_in_box', settled = 'now', settled_by = 'x', basis = 'staff'")
    assert "differs from the chain (basis)" in doubts.check_doubt_notes(conn).reason
    with pytest.raises(sqlite3.IntegrityError):  # and once settled, never changed again
        conn.execute("UPDATE doubt_notes SET state = 'in_doubt', settled = NULL, settled_by = NULL, basis = NULL")
    conn.execute("DROP TRIGGER doubt_notes_no_delete")
    conn.execute("DELETE FROM doubt_notes")
    assert "in the chain but not in the journal" in doubts.check_doubt_notes(conn).reason
