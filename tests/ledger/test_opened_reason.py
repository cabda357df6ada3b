"""A payment's opening reason (why it exists) and its settlement reason (how it ended) are both kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from kioskd.ledger import Ledger
from kioskd.ledger.audit import append_entry
from kioskd.ledger.moneycheck import check_txns
from kioskd.ledger.schema import JOURNAL_FILE, MIGRATIONS, migrate
from kioskd.ledger.schema_journal import V21_OPENED_REASON
from tests.ledger.conftest import KIOSK, account, raw

FLAGGED = "rejected: account_closed"


async def _follow_up(tmp_path: Path) -> tuple[Ledger, str, str]:
    """A payment closed by recovery whose held note then landed: (ledger, first txn, follow-up txn)."""
    before = await Ledger.open(tmp_path, KIOSK)
    txn = await before.open_payment(account())
    await before.stack_requested(txn, 5000)
    await before.close()
    after = await Ledger.open(tmp_path, KIOSK)
    await after.recover()
    follow_up, _ = await after.commit_in_flight_note()  # type: ignore[misc]
    return after, txn, follow_up


async def test_the_opening_reason_survives_the_settlement(tmp_path: Path) -> None:
    ledger, first, follow_up = await _follow_up(tmp_path)
    try:
        closed = await ledger.transaction(follow_up)
        assert closed is not None and first in (closed.opened_reason or "") and closed.reason is None
        await ledger.settle(follow_up, "flagged", balance=None, ref=None, reason=FLAGGED)
        flagged = await ledger.transaction(follow_up)
        assert flagged is not None
        assert (flagged.state, flagged.reason) == ("flagged", FLAGGED)
        assert flagged.opened_reason == closed.opened_reason  # why it exists, and how it ended
        own = await ledger.transaction(first)
        assert own is not None and own.opened_reason is None  # a customer's own payment needs no reason
        assert await ledger.audit_verify() is None
    finally:
        await ledger.close()
    conn = raw(tmp_path)
    assert check_txns(conn) is None
    with pytest.raises(sqlite3.IntegrityError, match="opening reason"):
        conn.execute("UPDATE txns SET opened_reason = 'paid twice' WHERE id = ?", (follow_up,))
    conn.execute("DROP TRIGGER txns_opened_reason_once")  # behind the ledger's back: caught by the chain
    conn.execute("UPDATE txns SET opened_reason = 'paid twice' WHERE id = ?", (follow_up,))
    problem = check_txns(conn)
    assert problem is not None and "differs from the chain (opened_reason:" in problem.reason
    conn.close()


def _entry(conn: sqlite3.Connection, kind: str, data: dict[str, object]) -> None:
    conn.execute("BEGIN")
    append_entry(conn, kind, data)
    conn.execute("COMMIT")


async def test_an_older_journal_gets_its_opening_reasons_from_the_chain(tmp_path: Path) -> None:
    """Before migration 21 the opening reason sat in `reason` until settlement overwrote it."""
    version = MIGRATIONS.index(V21_OPENED_REASON)
    db = Database(tmp_path / JOURNAL_FILE)
    migrate(db, target=version)
    db.close()
    conn = sqlite3.connect(str(tmp_path / JOURNAL_FILE), isolation_level=None)
    conn.execute("INSERT INTO meta VALUES ('kiosk_id', ?), ('currency', 'CNY')", (KIOSK,))
    why = "note in flight credited after txn t-0 ended"
    head = {"account": "0012345678", "holder": "h", "due": 100, "currency": "CNY"}
    for txn, started in (("t-open", "2024-01-01T00:00:00.000Z"), ("t-flagged", "2024-01-01T00:01:00.000Z")):
        conn.execute("INSERT INTO txns (id, account, holder, due, currency, state, started, reason)"
                     " VALUES (?, '0012345678', 'h', 100, 'CNY', 'open', ?, ?)", (txn, started, why))
        _entry(conn, "txn_open", {"txn": txn, **head, "started": started, "reason": why})
    conn.execute("UPDATE txns SET state = 'cancelled', ended = started WHERE id = 't-flagged'")
    conn.execute("UPDATE txns SET reason = ? WHERE id = 't-flagged'", (FLAGGED,))  # settled: overwritten
    _entry(conn, "txn_state", {"txn": "t-flagged", "state": "cancelled", "seq": None, "amount": 0,
                               "ended": "2024-01-01T00:01:00.000Z", "balance": None, "ref": None,
                               "reason": FLAGGED, "payload": None})
    conn.close()
    ledger = await Ledger.open(tmp_path, KIOSK)
    try:
        still_open, ended = await ledger.transaction("t-open"), await ledger.transaction("t-flagged")
        assert still_open is not None and (still_open.opened_reason, still_open.reason) == (why, None)
        assert ended is not None and (ended.opened_reason, ended.reason) == (why, FLAGGED)
        conn = raw(tmp_path)
        assert check_txns(conn) is None
        conn.close()
    finally:
        await ledger.close()
