"""Migrations 14 and 15: a note's credit writes no more than it must; start-up reads no more than it must.

Migration 1's notes_credit set `seq = COALESCE(seq, ...)` on every note: SQLite then rewrote the
payment's entry in the seq index and ran the seq trigger's MAX(seq) each time, though only the
first note gives a payment its seq. The same rules, split: later notes touch the amount only.
"""

from __future__ import annotations

V14_NOTE_CREDIT: tuple[str, ...] = (
    "DROP TRIGGER notes_credit",
    # amount, seq (on the first note) and the box counters still follow every note in the same
    # statement, so no caller can forget one of them (invariants 3 and 5)
    """CREATE TRIGGER notes_credit AFTER INSERT ON notes BEGIN
         UPDATE txns SET amount = amount + NEW.value WHERE id = NEW.txn AND seq IS NOT NULL;
         UPDATE txns SET amount = amount + NEW.value, seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM txns)
          WHERE id = NEW.txn AND seq IS NULL;
         INSERT INTO counters (value, count) VALUES (NEW.value, 1)
           ON CONFLICT (value) DO UPDATE SET count = count + 1;
       END""",
)

V15_AUDIT_KIND: tuple[str, ...] = (
    # Start-up checks every money table against its chain entries; each table's entries are a
    # few among a year's notes: found by kind, not by reading the whole chain once per table
    # (the note entries, half the chain, are still read in one pass: moneycheck._NOTE_SUMMARY).
    "CREATE INDEX audit_kind ON audit(kind)",
)
