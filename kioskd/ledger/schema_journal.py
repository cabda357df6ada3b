"""Migrations 1, 2, 3, 10, 18 and 21: the payment journal (payments, notes, box counters), the outbox,
the audit chain, the indexes that find the payments not yet credited and a day's payments, and a
payment's opening reason.
"""

from __future__ import annotations

V1_JOURNAL: tuple[str, ...] = (
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE txns (
        id TEXT PRIMARY KEY NOT NULL,
        seq INTEGER UNIQUE CHECK (seq IS NULL OR (typeof(seq) = 'integer' AND seq >= 1)),
        account TEXT NOT NULL,
        holder TEXT NOT NULL,
        due INTEGER NOT NULL CHECK (typeof(due) = 'integer'),
        currency TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN
            ('open', 'closed', 'credited', 'pending', 'flagged', 'cancelled')),
        amount INTEGER NOT NULL DEFAULT 0 CHECK (typeof(amount) = 'integer' AND amount >= 0),
        started TEXT NOT NULL,
        ended TEXT,
        balance INTEGER CHECK (balance IS NULL OR typeof(balance) = 'integer'),
        ref TEXT,
        reason TEXT,
        payload TEXT,
        reprint_wanted INTEGER NOT NULL DEFAULT 0 CHECK (reprint_wanted IN (0, 1)),
        -- a transaction has a seq exactly when it took cash
        CHECK ((seq IS NULL) = (amount = 0))
    )""",
    "CREATE INDEX txns_account ON txns(account)",
    "CREATE INDEX txns_started ON txns(started)",
    """CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        txn TEXT NOT NULL REFERENCES txns(id),
        value INTEGER NOT NULL CHECK (typeof(value) = 'integer' AND value > 0),
        at TEXT NOT NULL,
        event TEXT NOT NULL
    )""",
    "CREATE INDEX notes_txn ON notes(txn)",
    # At most one note is between STACK and its credit at any time.
    """CREATE TABLE stack_intent (
        slot INTEGER PRIMARY KEY CHECK (slot = 1),
        txn TEXT NOT NULL REFERENCES txns(id),
        value INTEGER NOT NULL CHECK (typeof(value) = 'integer' AND value > 0),
        at TEXT NOT NULL
    )""",
    """CREATE TABLE counters (
        value INTEGER PRIMARY KEY CHECK (typeof(value) = 'integer' AND value > 0),
        count INTEGER NOT NULL CHECK (typeof(count) = 'integer' AND count >= 0)
    )""",
    """CREATE TABLE box_changes (
        id INTEGER PRIMARY KEY,
        box_id TEXT NOT NULL,
        at TEXT NOT NULL,
        last_note INTEGER NOT NULL,
        counts TEXT NOT NULL
    )""",
    """CREATE TRIGGER txns_insert_empty BEFORE INSERT ON txns
       WHEN NEW.amount != 0 OR NEW.seq IS NOT NULL OR NEW.state != 'open'
       BEGIN SELECT RAISE(ABORT, 'a transaction starts open, empty and without seq'); END""",
    """CREATE TRIGGER txns_amount_is_sum BEFORE UPDATE OF amount ON txns
       WHEN NEW.amount != (SELECT COALESCE(SUM(value), 0) FROM notes WHERE txn = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'amount must equal the sum of the notes'); END""",
    """CREATE TRIGGER txns_seq_next BEFORE UPDATE OF seq ON txns
       WHEN NEW.seq IS NOT OLD.seq AND (OLD.seq IS NOT NULL
            OR NEW.seq != (SELECT COALESCE(MAX(seq), 0) + 1 FROM txns))
       BEGIN SELECT RAISE(ABORT, 'seq is assigned once, the next without gaps'); END""",
    """CREATE TRIGGER txns_state_change BEFORE UPDATE OF state ON txns
       WHEN NEW.state IS NOT OLD.state AND NOT (
            (OLD.state = 'open' AND NEW.state = 'closed' AND NEW.amount > 0)
         OR (OLD.state = 'open' AND NEW.state = 'cancelled' AND NEW.amount = 0)
         OR (OLD.state IN ('closed', 'pending', 'flagged')
             AND NEW.state IN ('credited', 'pending', 'flagged')))
       BEGIN SELECT RAISE(ABORT, 'transaction state change not allowed'); END""",
    """CREATE TRIGGER txns_payload_once BEFORE UPDATE OF payload ON txns
       WHEN OLD.payload IS NOT NULL AND NEW.payload IS NOT OLD.payload
       BEGIN SELECT RAISE(ABORT, 'a payment payload is stored once'); END""",
    """CREATE TRIGGER txns_keep_cash BEFORE DELETE ON txns WHEN OLD.seq IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'a transaction that took cash is never deleted'); END""",
    """CREATE TRIGGER notes_into_open BEFORE INSERT ON notes
       WHEN (SELECT state FROM txns WHERE id = NEW.txn) IS NOT 'open'
       BEGIN SELECT RAISE(ABORT, 'notes only go into an open transaction'); END""",
    """CREATE TRIGGER notes_no_update BEFORE UPDATE ON notes
       BEGIN SELECT RAISE(ABORT, 'notes are never changed'); END""",
    """CREATE TRIGGER notes_no_delete BEFORE DELETE ON notes
       BEGIN SELECT RAISE(ABORT, 'notes are never deleted'); END""",
    # Amount, seq (on the first note) and the box counters follow every note in the
    # same statement, so no caller can forget one of them (invariants 3 and 5).
    """CREATE TRIGGER notes_credit AFTER INSERT ON notes BEGIN
         UPDATE txns SET amount = amount + NEW.value,
                         seq = COALESCE(seq, (SELECT COALESCE(MAX(seq), 0) + 1 FROM txns))
          WHERE id = NEW.txn;
         INSERT INTO counters (value, count) VALUES (NEW.value, 1)
           ON CONFLICT (value) DO UPDATE SET count = count + 1;
       END""",
)


V2_OUTBOX: tuple[str, ...] = (
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        body TEXT NOT NULL,
        created TEXT NOT NULL,
        tries INTEGER NOT NULL DEFAULT 0 CHECK (tries >= 0),
        next_try TEXT NOT NULL,
        last_error TEXT,
        done TEXT,
        answer TEXT,
        UNIQUE (kind, key)
    )""",
    "CREATE INDEX outbox_undone ON outbox(kind, id) WHERE done IS NULL",
    """CREATE TRIGGER outbox_keep_undone BEFORE DELETE ON outbox WHEN OLD.done IS NULL
       BEGIN SELECT RAISE(ABORT, 'an outbox item is kept until a definite answer'); END""",
    """CREATE TRIGGER outbox_body_fixed BEFORE UPDATE OF body, kind, key ON outbox
       BEGIN SELECT RAISE(ABORT, 'an outbox item is sent byte for byte the same'); END""",
)


V3_AUDIT: tuple[str, ...] = (
    """CREATE TABLE audit (
        seq INTEGER PRIMARY KEY CHECK (seq >= 1),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE
    )""",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
)


V10_STATE_INDEX: tuple[str, ...] = (
    # the few payments not yet credited, found without reading a year of credited ones: start-up
    # recovery, the money waiting for the backend ([backend] max_pending), the status report
    "CREATE INDEX txns_state ON txns(state)",
)


V18_ENDED_INDEX: tuple[str, ...] = (
    # a payment belongs to the local day it ended (docs/spec/registers.md): the daily close, the
    # period reports and the reconciliation file select a day's payments by `ended`
    "CREATE INDEX txns_ended ON txns(ended)",
)


V21_OPENED_REASON: tuple[str, ...] = (
    # why a payment exists (a held note booked to a follow-up payment) in its own column: `reason` is
    # how it ended (the backend's refusal) and settlement overwrote the opening one there
    "ALTER TABLE txns ADD COLUMN opened_reason TEXT",
    # the opening reasons so far are in the chain's txn_open entries (the only ones with a reason: follow-ups)
    """UPDATE txns SET opened_reason = o.why FROM (
         SELECT json_extract(data, '$.txn') AS txn, json_extract(data, '$.reason') AS why
         FROM audit WHERE kind = 'txn_open' AND json_extract(data, '$.reason') IS NOT NULL) AS o
       WHERE o.txn = txns.id""",
    # an open payment has no state entry yet: its `reason` (the opening one) moves; an ended one keeps
    # the `reason` its state entry holds
    "UPDATE txns SET reason = NULL WHERE state = 'open'",
    """CREATE TRIGGER txns_opened_reason_once BEFORE UPDATE OF opened_reason ON txns
       WHEN NEW.opened_reason IS NOT OLD.opened_reason
       BEGIN SELECT RAISE(ABORT, 'a payment''s opening reason is written once, when it opens'); END""",
)
