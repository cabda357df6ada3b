"""Migrations 14, 15, 19 and 20: a note's credit writes no more than it must; start-up reads no more than it must.

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

# Migration 17: the audit table without the UNIQUE index on `hash`. Each entry's hash is random,
# so that index took a random page per note credited (a page more in every WAL commit: median
# note credit 12-15 % slower with it, interleaved, bench/journal_commit.py). It guarded nothing
# the chain does not: each hash covers its seq and the previous hash, and the walk recomputes
# them; nothing looks an entry up by hash. SQLite drops a UNIQUE constraint only by rebuilding
# the table (its 12-step procedure): register_records refers to audit(seq), so schema.migrate
# runs this one with foreign keys off and checks them before it commits. The rows, their order
# and the append-only triggers are the same.
V17_AUDIT_HASH_UNINDEXED: tuple[str, ...] = (
    """CREATE TABLE audit_rebuilt (
        seq INTEGER PRIMARY KEY CHECK (seq >= 1),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    "INSERT INTO audit_rebuilt (seq, at, kind, data, prev, hash)"
    " SELECT seq, at, kind, data, prev, hash FROM audit ORDER BY seq",
    "DROP TABLE audit",
    "ALTER TABLE audit_rebuilt RENAME TO audit",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    "CREATE INDEX audit_kind ON audit(kind)",
)

# Migration 19: the notes' txn index carries each note's value. txns_amount_is_sum re-adds a payment's
# notes on every credit; with the value in the index SQLite sums them from the index page it has just
# written, instead of reading each note's table row (median credit CPU 108 -> 94 us, interleaved,
# bench/journal_commit.py). The same pages per credit, the same name, the same rules.
V19_NOTES_TXN_VALUE: tuple[str, ...] = (
    "DROP INDEX notes_txn",
    "CREATE INDEX notes_txn ON notes(txn, value)",
)

# Migration 20: audit_kind without the two kinds written for every note (its stack intent and its
# credit). Each took an index page in its commit, a WAL frame more to write and fsync; start-up and the
# registers look up the other kinds by it (their queries repeat its condition: audit.kind_indexed), and
# reads those two by seq. Credit CPU 94 -> 85 us median, intent and credit one page less each.
V20_AUDIT_KIND_PARTIAL: tuple[str, ...] = (
    "DROP INDEX audit_kind",
    "CREATE INDEX audit_kind ON audit(kind) WHERE kind NOT IN ('note', 'stack_intent')",
)
