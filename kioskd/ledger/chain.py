"""Money facts and their chain entries: the one way kioskd writes a money row.

A money fact is any change to a table that says where a customer's cash is or what was
promised for it: a payment opened, a note credited, a payment's state (with its amount and
the digest of its signed payload), a note about to be stacked, a cash-box change; and, as
they land, cases, refunds, counterfeits and in-doubt notes. Each one is written with
`record()` inside the same `db.atomic()` block as the row it describes, so the row and its
entry commit together (one COMMIT, one fsync) or not at all:

    with db.atomic():
        cur = db.conn.execute("INSERT INTO refunds (txn, amount) VALUES (?, ?)", (txn, 500))
        record(db, "refund", {"refund": cur.lastrowid, "txn": txn, "amount": 500})

The entry's `data` holds every column of the row that matters for money (integers in fen,
strings; no floats), so the table can be checked against the chain and rebuilt from it. A
module that adds a money table adds a check too: a function `(conn) -> AuditProblem | None`
in `integrity.TABLE_CHECKS`, run at every start-up and by `kioskctl audit verify`; any
problem keeps the kiosk out of service. docs/decisions.md ("Every money fact is a chain
entry") lists the kinds in use.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from kioskd.ledger.audit import append_entry
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import AuditProblem

MoneyCheck = Callable[[sqlite3.Connection], AuditProblem | None]

# The kinds of the journal's own money facts (moneycheck.py checks their tables).
TXN_OPEN = "txn_open"  # {txn, account, holder, due, currency, started, reason (the row's opened_reason)}
NOTE = "note"  # {note, txn, value, at, event, seq}: a credited note (amount, seq, counters follow)
TXN_STATE = "txn_state"  # {txn, state, seq, amount, ended, balance, ref, reason, payload (sha256)}
STACK_INTENT = "stack_intent"  # {txn, value, at}: STACK is about to be sent for this note
STACK_CLEAR = "stack_clear"  # {txn, value}: that note never reached the box
COUNTERS_RESET = "counters_reset"  # {change, box, at, last_note, counts}: a box change
# {doubt, txn, value, at, recorded}: the stack intent left at start-up, its fate unknown (doubts.py)
NOTE_IN_DOUBT = "note_in_doubt"
# {doubt, state, settled, by, basis, reason, case}: stacked or not_in_box, by a count or a person
DOUBT_SETTLED = "doubt_settled"
MONEY_KINDS = frozenset({TXN_OPEN, NOTE, TXN_STATE, STACK_INTENT, STACK_CLEAR, COUNTERS_RESET, NOTE_IN_DOUBT,
                         DOUBT_SETTLED})


def record(db: Database | sqlite3.Connection, kind: str, data: dict[str, Any] | str, *,
           head: tuple[int, str] | None = None, at: str | None = None) -> tuple[int, str]:
    """Write the chain entry of a money fact in the caller's open transaction; (seq, hash).

    `head` is the chain's (seq, hash) when the caller has just read it in this transaction;
    `data` a dict, or its canonical JSON text; `at` the row's own time (else now).
    """
    conn = db.conn if isinstance(db, Database) else db
    if not conn.in_transaction:
        # outside a transaction the entry and its row could commit apart
        raise LedgerError(f"money fact {kind}: record() must run inside the transaction that writes it")
    return append_entry(conn, kind, data, head=head, at=at)


def payload_digest(payload: str | None) -> str | None:
    """Lowercase hex SHA-256 of a stored JWS payload (what a txn_state entry holds), or None."""
    return None if payload is None else hashlib.sha256(payload.encode("utf-8")).hexdigest()
