"""Migration 13: in-doubt notes (kioskd/ledger/doubts.py), kept apart from schema.py's long list."""

from __future__ import annotations

V13_DOUBT_NOTES: tuple[str, ...] = (
    # A note whose fate the validator could not tell after a restart (kioskd/ledger/doubts.py):
    # the stack intent left at start-up, kept on its payment until a count or staff settle it.
    """CREATE TABLE doubt_notes (
        id INTEGER PRIMARY KEY,
        txn TEXT NOT NULL REFERENCES txns(id),
        value INTEGER NOT NULL CHECK (typeof(value) = 'integer' AND value > 0),
        at TEXT NOT NULL,
        recorded TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'in_doubt' CHECK (state IN ('in_doubt', 'stacked', 'not_in_box')),
        settled TEXT,
        settled_by TEXT,
        basis TEXT,
        reason TEXT,
        case_id TEXT REFERENCES cases(id),
        CHECK ((state = 'in_doubt') = (settled IS NULL)),
        CHECK ((state = 'in_doubt') = (settled_by IS NULL))
    )""",
    "CREATE INDEX doubt_notes_txn ON doubt_notes(txn)",
    """CREATE TRIGGER doubt_notes_settled_once BEFORE UPDATE ON doubt_notes
       WHEN OLD.state != 'in_doubt' OR NEW.id IS NOT OLD.id OR NEW.txn IS NOT OLD.txn
         OR NEW.value IS NOT OLD.value OR NEW.at IS NOT OLD.at OR NEW.recorded IS NOT OLD.recorded
       BEGIN SELECT RAISE(ABORT, 'an in-doubt note is settled once and never changed'); END""",
    """CREATE TRIGGER doubt_notes_no_delete BEFORE DELETE ON doubt_notes
       BEGIN SELECT RAISE(ABORT, 'an in-doubt note is never deleted'); END""",
)
