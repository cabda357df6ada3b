"""The schema itself refuses writes that would break the money invariants."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kioskd.ledger import Ledger
from tests.ledger.conftest import account, paid, raw


async def test_amount_cannot_differ_from_the_sum_of_notes(ledger: Ledger, tmp_path: Path) -> None:
    txn = await paid(ledger, 10000, 5000)
    conn = raw(tmp_path)
    with pytest.raises(sqlite3.IntegrityError, match="sum of the notes"):
        conn.execute("UPDATE txns SET amount = 99999 WHERE id = ?", (txn,))
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):
        conn.execute("UPDATE notes SET value = 1 WHERE txn = ?", (txn,))
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        conn.execute("DELETE FROM notes WHERE txn = ?", (txn,))
    with pytest.raises(sqlite3.IntegrityError, match="open transaction"):
        conn.execute(
            "INSERT INTO notes (txn, value, at, event) VALUES (?, 100, 'x', 'forged')", (txn,)
        )
    conn.close()
    record = await ledger.transaction(txn)
    assert record is not None and record.amount == 15000 == sum(n.value for n in record.notes)


async def test_float_money_is_refused_by_the_schema(ledger: Ledger, tmp_path: Path) -> None:
    txn = await ledger.open_payment(account())
    conn = raw(tmp_path)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO notes (txn, value, at, event) VALUES (?, 100.5, 'x', 'forged')", (txn,)
        )
    conn.close()


async def test_seq_and_cash_txns_cannot_be_rewritten(ledger: Ledger, tmp_path: Path) -> None:
    first = await paid(ledger, 100)
    second = await paid(ledger, 200)
    conn = raw(tmp_path)
    with pytest.raises(sqlite3.IntegrityError, match="seq"):
        conn.execute("UPDATE txns SET seq = 7 WHERE id = ?", (second,))
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        conn.execute("DELETE FROM txns WHERE id = ?", (first,))
    with pytest.raises(sqlite3.IntegrityError, match="state change"):
        conn.execute("UPDATE txns SET state = 'cancelled' WHERE id = ?", (first,))
    with pytest.raises(sqlite3.IntegrityError, match="starts open"):
        conn.execute(
            "INSERT INTO txns (id, seq, account, holder, due, currency, state, amount, started)"
            " VALUES ('forged', 3, 'a', 'h', 0, 'CNY', 'closed', 0, 'x')"
        )
    conn.close()
    assert [t.seq for t in await ledger.transactions()] == [1, 2]


async def test_counters_follow_every_note_and_reset_freezes_them(ledger: Ledger) -> None:
    assert await ledger.counters() == {}
    await paid(ledger, 10000, 5000, 10000)
    await paid(ledger, 100)
    assert await ledger.counters() == {100: 1, 5000: 1, 10000: 2}

    frozen = await ledger.reset_counters("BOX-A")
    assert frozen == {100: 1, 5000: 1, 10000: 2}
    assert await ledger.counters() == {}

    await paid(ledger, 5000)
    assert await ledger.counters() == {5000: 1}


async def test_counters_equal_notes_since_last_box_change(ledger: Ledger, tmp_path: Path) -> None:
    values = [100, 500, 1000, 2000, 5000, 10000]
    for i in range(12):
        await paid(ledger, values[i % 6], values[(i * 5) % 6])
        if i == 5:
            await ledger.reset_counters("BOX-A")
    conn = raw(tmp_path)
    expected = dict(
        conn.execute(
            "SELECT value, COUNT(*) FROM notes WHERE id > "
            "(SELECT MAX(last_note) FROM box_changes) GROUP BY value"
        ).fetchall()
    )
    conn.close()
    assert await ledger.counters() == expected
    assert sum(expected.values()) == 12
