"""Journal schema as ordered migrations, and the checked connection the ledger uses.

The money rules live in the schema itself (CHECK constraints and triggers), so a bug
elsewhere in kioskd cannot write a transaction whose amount differs from its notes,
skip a `seq`, or drop a transaction that took cash.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from kioskd.ledger.errors import StorageError
from kioskd.ledger.schema_credit import V14_NOTE_CREDIT, V15_AUDIT_KIND
from kioskd.ledger.schema_doubts import V13_DOUBT_NOTES
from kioskd.ledger.schema_registers import V12_REGISTERS

JOURNAL_FILE = "journal.sqlite3"

# Seconds a statement waits for a lock held by another reader/writer (kioskctl, backup).
BUSY_TIMEOUT = 5.0

_V1_JOURNAL: tuple[str, ...] = (
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

_V2_OUTBOX: tuple[str, ...] = (
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

_V3_AUDIT: tuple[str, ...] = (
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

_V4_CUSTODY: tuple[str, ...] = (
    # PINs are kept only as scrypt hashes (hex) with their own random salt.
    """CREATE TABLE technicians (
        id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),
        name TEXT NOT NULL,
        pin_hash TEXT NOT NULL,
        salt TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
        locked_until TEXT,
        created TEXT NOT NULL
    )""",
    """CREATE TRIGGER technicians_no_delete BEFORE DELETE ON technicians
       BEGIN SELECT RAISE(ABORT, 'technicians are disabled, never deleted'); END""",
    """CREATE TABLE custody_sessions (
        id TEXT PRIMARY KEY NOT NULL,
        started TEXT NOT NULL,
        source TEXT NOT NULL,
        tech1 TEXT,
        tech2 TEXT,
        box_id TEXT,
        outcome TEXT CHECK (outcome IS NULL OR outcome IN
            ('aborted', 'match', 'mismatch')),
        reason TEXT,
        ended TEXT
    )""",
    # Signed checkpoints of the audit chain: Ed25519 over {kiosk, seq, hash, at}.
    """CREATE TABLE audit_checkpoints (
        seq INTEGER PRIMARY KEY CHECK (seq >= 1),
        hash TEXT NOT NULL,
        at TEXT NOT NULL,
        sig TEXT NOT NULL
    )""",
    """CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
       BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END""",
    """CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
       BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END""",
)

_V5_RATINGS: tuple[str, ...] = (
    # the customer's optional rating of a payment on the result screen; batched by id
    """CREATE TABLE ratings (
        id INTEGER PRIMARY KEY,
        txn TEXT NOT NULL UNIQUE REFERENCES txns(id),
        rating TEXT NOT NULL CHECK (rating IN ('good', 'fair', 'poor')),
        at TEXT NOT NULL
    )""",
    """CREATE TRIGGER ratings_only_payments BEFORE INSERT ON ratings
       WHEN (SELECT seq FROM txns WHERE id = NEW.txn) IS NULL
       BEGIN SELECT RAISE(ABORT, 'only a payment that took cash is rated'); END""",
    """CREATE TRIGGER ratings_no_update BEFORE UPDATE ON ratings
       BEGIN SELECT RAISE(ABORT, 'a rating is never changed'); END""",
    """CREATE TRIGGER ratings_no_delete BEFORE DELETE ON ratings
       BEGIN SELECT RAISE(ABORT, 'a rating is never deleted'); END""",
)

_V6_CASES: tuple[str, ...] = (
    # Cases (差错/投诉): a payment that went wrong, or a customer's claim that a note was not
    # counted. `amount` is the cash the case is about: the payment's, or the claimed note.
    """CREATE TABLE cases (
        id TEXT PRIMARY KEY NOT NULL,
        no INTEGER NOT NULL UNIQUE CHECK (typeof(no) = 'integer' AND no >= 1),
        kind TEXT NOT NULL CHECK (kind IN ('payment', 'claim')),
        txn TEXT REFERENCES txns(id),
        account TEXT,
        amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
        claimed_at TEXT,
        phone TEXT,
        contact_erased TEXT,
        opened TEXT NOT NULL,
        opened_by TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'waiting', 'resolved', 'rejected')),
        closed TEXT,
        count_session TEXT,
        found INTEGER CHECK (found IS NULL OR found IN (0, 1)),
        CHECK ((kind = 'payment') = (txn IS NOT NULL AND account IS NOT NULL AND claimed_at IS NULL)),
        CHECK ((kind = 'claim') = (txn IS NULL AND claimed_at IS NOT NULL)),
        CHECK ((status IN ('resolved', 'rejected')) = (closed IS NOT NULL)),
        CHECK (phone IS NULL OR contact_erased IS NULL),
        CHECK ((count_session IS NULL) = (found IS NULL))
    )""",
    # one case at a time is open on a payment
    "CREATE UNIQUE INDEX cases_one_open_per_payment ON cases(txn) WHERE txn IS NOT NULL AND closed IS NULL",
    """CREATE TRIGGER cases_on_cash BEFORE INSERT ON cases WHEN NEW.txn IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM txns WHERE id = NEW.txn AND seq IS NOT NULL AND amount = NEW.amount
            AND account = NEW.account)
       BEGIN SELECT RAISE(ABORT, 'a payment case is about a payment that took cash, all of it'); END""",
    """CREATE TRIGGER cases_fixed BEFORE UPDATE OF id, no, kind, txn, account, amount, claimed_at, opened, opened_by
       ON cases BEGIN SELECT RAISE(ABORT, 'what a case is about never changes'); END""",
    """CREATE TRIGGER cases_stay_closed BEFORE UPDATE OF status, closed ON cases
       WHEN OLD.closed IS NOT NULL AND (NEW.status IS NOT OLD.status OR NEW.closed IS NOT OLD.closed)
       BEGIN SELECT RAISE(ABORT, 'a closed case stays closed'); END""",
    """CREATE TRIGGER cases_count_once BEFORE UPDATE OF count_session, found ON cases
       WHEN OLD.count_session IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'a claim is checked against one count'); END""",
    """CREATE TRIGGER cases_phone_only_erased BEFORE UPDATE OF phone ON cases
       WHEN NEW.phone IS NOT NULL AND NEW.phone IS NOT OLD.phone
       BEGIN SELECT RAISE(ABORT, 'a phone number is only ever erased'); END""",
    """CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
       BEGIN SELECT RAISE(ABORT, 'cases are never deleted'); END""",
    # Every step of a case, in order; the batch carries them as `case` records.
    """CREATE TABLE case_steps (
        id INTEGER PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases(id),
        step TEXT NOT NULL CHECK (step IN ('opened', 'note', 'count_checked', 'recredit', 'void', 'refund',
                                            'writeoff', 'closed', 'contact_erased')),
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'waiting', 'resolved', 'rejected')),
        data TEXT NOT NULL
    )""",
    "CREATE INDEX case_steps_case ON case_steps(case_id)",
    """CREATE TRIGGER case_steps_no_update BEFORE UPDATE ON case_steps
       BEGIN SELECT RAISE(ABORT, 'case steps are append-only'); END""",
    """CREATE TRIGGER case_steps_no_delete BEFORE DELETE ON case_steps
       BEGIN SELECT RAISE(ABORT, 'case steps are append-only'); END""",
    # What became of a case's cash. One outcome stands per cash (a refused one frees it);
    # none ever changes the payment it is about.
    """CREATE TABLE case_outcomes (
        id TEXT PRIMARY KEY NOT NULL,
        case_id TEXT NOT NULL REFERENCES cases(id),
        cash TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('recredit', 'void', 'refund', 'writeoff')),
        amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
        account TEXT,
        holder TEXT,
        reason TEXT NOT NULL,
        by TEXT NOT NULL,
        approved_by TEXT,
        state TEXT NOT NULL CHECK (state IN ('requested', 'done', 'refused')),
        at TEXT NOT NULL,
        answered TEXT,
        ref TEXT,
        answer TEXT,
        payload TEXT,
        CHECK (kind != 'refund' OR (approved_by IS NOT NULL AND approved_by != by)),
        CHECK (kind NOT IN ('recredit', 'void') OR (account IS NOT NULL AND payload IS NOT NULL)),
        CHECK ((state = 'requested') = (answered IS NULL))
    )""",
    "CREATE UNIQUE INDEX case_outcomes_one_per_cash ON case_outcomes(cash) WHERE state != 'refused'",
    """CREATE TRIGGER case_outcomes_whole_cash BEFORE INSERT ON case_outcomes WHEN NOT EXISTS (
         SELECT 1 FROM cases WHERE id = NEW.case_id AND amount = NEW.amount
            AND COALESCE(txn, 'claim:' || id) = NEW.cash)
       BEGIN SELECT RAISE(ABORT, 'an outcome disposes of all of its case''s cash'); END""",
    # a void moves credited cash; the others dispose of cash the backend did not credit, or of
    # a claimed note a count found
    """CREATE TRIGGER case_outcomes_fit_the_cash BEFORE INSERT ON case_outcomes WHEN
         CASE WHEN NEW.cash LIKE 'claim:%'
              THEN NEW.kind = 'void' OR (SELECT found FROM cases WHERE id = NEW.case_id) IS NOT 1
              ELSE (NEW.kind = 'void') != ((SELECT state FROM txns WHERE id = NEW.cash) IS 'credited') END
       BEGIN SELECT RAISE(ABORT, 'this outcome does not fit this cash'); END""",
    """CREATE TRIGGER case_outcomes_answered_once BEFORE UPDATE ON case_outcomes
       WHEN OLD.state != 'requested' OR NEW.state = 'requested'
            OR NEW.id IS NOT OLD.id OR NEW.case_id IS NOT OLD.case_id OR NEW.cash IS NOT OLD.cash
            OR NEW.kind IS NOT OLD.kind OR NEW.amount IS NOT OLD.amount OR NEW.account IS NOT OLD.account
            OR NEW.by IS NOT OLD.by OR NEW.payload IS NOT OLD.payload
       BEGIN SELECT RAISE(ABORT, 'an outcome is answered once and otherwise never changes'); END""",
    """CREATE TRIGGER case_outcomes_no_delete BEFORE DELETE ON case_outcomes
       BEGIN SELECT RAISE(ABORT, 'case outcomes are never deleted'); END""",
)

_V7_INVOICES: tuple[str, ...] = (
    # the customer's request for an electronic invoice of a payment (one per payment), and what
    # the backend answered; the signed request is the outbox body (kind "invoice", key txn)
    """CREATE TABLE invoices (
        id INTEGER PRIMARY KEY,
        txn TEXT NOT NULL UNIQUE REFERENCES txns(id),
        requested TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('requested', 'issued', 'refused')),
        number TEXT,
        url TEXT,
        reason TEXT,
        answered TEXT
    )""",
)

_V8_STAFF: tuple[str, ...] = (
    # The technicians become staff accounts with the role technician; hall staff and
    # managers join them. A role is fixed for the life of an account (disable, add anew).
    "ALTER TABLE technicians RENAME TO staff",
    """ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'technician'
        CHECK (role IN ('hall', 'manager', 'technician'))""",
    "DROP TRIGGER technicians_no_delete",
    """CREATE TRIGGER staff_no_delete BEFORE DELETE ON staff
       BEGIN SELECT RAISE(ABORT, 'staff accounts are disabled, never deleted'); END""",
    """CREATE TRIGGER staff_fixed BEFORE UPDATE OF id, role, name, created ON staff
       WHEN NEW.id IS NOT OLD.id OR NEW.role IS NOT OLD.role OR NEW.name IS NOT OLD.name
            OR NEW.created IS NOT OLD.created
       BEGIN SELECT RAISE(ABORT, 'a staff account keeps its id, role and name'); END""",
    """CREATE TRIGGER staff_stays_disabled BEFORE UPDATE OF enabled ON staff
       WHEN OLD.enabled = 0 AND NEW.enabled != 0
       BEGIN SELECT RAISE(ABORT, 'a disabled staff account stays disabled'); END""",
)

_V9_SELF_REPRINTS: tuple[str, ...] = (
    # a customer's own copy of a receipt at the kiosk (补打凭条): one per payment that took cash
    """CREATE TABLE self_reprints (
        txn TEXT PRIMARY KEY NOT NULL REFERENCES txns(id),
        at TEXT NOT NULL
    )""",
    """CREATE TRIGGER self_reprints_only_payments BEFORE INSERT ON self_reprints
       WHEN (SELECT seq FROM txns WHERE id = NEW.txn) IS NULL
       BEGIN SELECT RAISE(ABORT, 'only a payment that took cash has a receipt to reprint'); END""",
    """CREATE TRIGGER self_reprints_no_update BEFORE UPDATE ON self_reprints
       BEGIN SELECT RAISE(ABORT, 'a reprint is never changed'); END""",
    """CREATE TRIGGER self_reprints_no_delete BEFORE DELETE ON self_reprints
       BEGIN SELECT RAISE(ABORT, 'a reprint is never deleted'); END""",
)

_V10_STATE_INDEX: tuple[str, ...] = (
    # the few payments not yet credited, found without reading a year of credited ones: start-up
    # recovery, the money waiting for the backend ([backend] max_pending), the status report
    "CREATE INDEX txns_state ON txns(state)",
)

_V11_PINS_KEYED: tuple[str, ...] = (
    # PIN hashes are keyed with a secret derived from the kiosk key (kioskd.ledger.custody.keyed):
    # every new one, and an old plain one only ever becomes keyed (the daemon does it at start)
    """CREATE TRIGGER staff_pin_keyed BEFORE INSERT ON staff WHEN NEW.pin_hash NOT LIKE 'hmac-scrypt$%'
       BEGIN SELECT RAISE(ABORT, 'a PIN hash is keyed with the kiosk key'); END""",
    """CREATE TRIGGER staff_pin_stays_keyed BEFORE UPDATE OF pin_hash ON staff
       WHEN NEW.pin_hash IS NOT OLD.pin_hash
            AND NOT (OLD.pin_hash LIKE 'scrypt$%' AND NEW.pin_hash LIKE 'hmac-scrypt$%')
       BEGIN SELECT RAISE(ABORT, 'a PIN hash is only ever keyed, never changed'); END""",
)

# Index i holds the statements that take the schema from user_version i to i + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1_JOURNAL, _V2_OUTBOX, _V3_AUDIT, _V4_CUSTODY, _V5_RATINGS,
                                           _V6_CASES, _V7_INVOICES, _V8_STAFF, _V9_SELF_REPRINTS,
                                           _V10_STATE_INDEX, _V11_PINS_KEYED,
                                           V12_REGISTERS, V13_DOUBT_NOTES, V14_NOTE_CREDIT,
                                           V15_AUDIT_KIND)
LATEST_VERSION = len(MIGRATIONS)
PINS_KEYED_VERSION = MIGRATIONS.index(_V11_PINS_KEYED) + 1


def connect(path: Path, quick_check: bool = True) -> Database:
    """Open the journal file, set WAL + synchronous=FULL and check that they hold."""
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT)
    except sqlite3.Error as err:
        raise StorageError(f"journal {path}: cannot open: {err}") from err
    try:
        db = Database(conn, execute_plugins=False)
        with db.ensure_autocommit_on():
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        check_pragmas(conn, path)
        if quick_check:
            check_pages(conn, path)
    except StorageError:
        conn.close()
        raise
    except sqlite3.Error as err:
        conn.close()
        raise StorageError(f"journal {path}: unusable: {err}") from err
    return db


def check_pages(conn: sqlite3.Connection, path: Path | str) -> None:
    """PRAGMA quick_check: StorageError naming the first problem (O(size): ~2.5 s for a year)."""
    verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
    if verdict != "ok":
        raise StorageError(f"journal {path}: corrupt: {verdict}")


def check_pragmas(conn: sqlite3.Connection, path: Path | str) -> None:
    """Raise StorageError unless WAL, synchronous=FULL and foreign keys are in force."""
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StorageError(f"journal {path}: journal_mode is {mode}, WAL required")
    sync = conn.execute("PRAGMA synchronous").fetchone()[0]
    if sync < 2:  # 2 = FULL, 3 = EXTRA: fsync of the WAL on every commit
        raise StorageError(f"journal {path}: synchronous is {sync}, FULL (2) required")
    if conn.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
        raise StorageError(f"journal {path}: foreign_keys is off")


def user_version(db: Database) -> int:
    """The schema version stored in the file."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database, target: int = LATEST_VERSION) -> int:
    """Apply the migrations after the file's version up to `target`, each one atomic."""
    current = user_version(db)
    if current > LATEST_VERSION:
        raise StorageError(
            f"journal schema version {current} is newer than this kioskd ({LATEST_VERSION})"
        )
    for version in range(current, target):
        with db.atomic():
            for statement in MIGRATIONS[version]:
                db.execute(statement)
            # user_version is transactional: it moves with the tables or not at all
            db.execute(f"PRAGMA user_version = {version + 1}")
    return user_version(db)
