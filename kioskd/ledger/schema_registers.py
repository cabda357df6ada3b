"""Migration 12: what follows a cash-box count, and the hall's registers (issue 18).

The count's handover record (交接记录), its counterfeit notes and its differences (one row per
note over, short or counterfeit), the vendor claims (索赔) that collect differences, the key
register (钥匙交接) and the patrol log (巡检). Every row is written with its audit entry and a
`register_records` row (what the batches carry) in one transaction; the guards below keep what
was recorded from being changed afterwards.
"""

from __future__ import annotations

V12_REGISTERS: tuple[str, ...] = (
    # the handover record both technicians sign, as printed; `digest` is SHA-256 of its canonical JSON
    """CREATE TABLE handovers (
        session TEXT PRIMARY KEY NOT NULL REFERENCES custody_sessions(id),
        box_id TEXT NOT NULL,
        at TEXT NOT NULL,
        digest TEXT NOT NULL CHECK (length(digest) = 64),
        record TEXT NOT NULL
    )""",
    """CREATE TRIGGER handovers_fixed BEFORE UPDATE ON handovers
       BEGIN SELECT RAISE(ABORT, 'a handover record is never changed'); END""",
    """CREATE TRIGGER handovers_no_delete BEFORE DELETE ON handovers
       BEGIN SELECT RAISE(ABORT, 'a handover record is never deleted'); END""",
    """CREATE TABLE counterfeits (
        id INTEGER PRIMARY KEY,
        session TEXT NOT NULL REFERENCES custody_sessions(id),
        box_id TEXT NOT NULL,
        value INTEGER NOT NULL CHECK (typeof(value) = 'integer' AND value > 0),
        serial TEXT NOT NULL CHECK (length(serial) BETWEEN 1 AND 16),
        photo TEXT,
        at TEXT NOT NULL
    )""",
    "CREATE INDEX counterfeits_session ON counterfeits(session)",
    # the photo reference may be added once later; nothing else changes
    """CREATE TRIGGER counterfeits_fixed BEFORE UPDATE ON counterfeits
       WHEN NEW.id IS NOT OLD.id OR NEW.session IS NOT OLD.session OR NEW.box_id IS NOT OLD.box_id
            OR NEW.value IS NOT OLD.value OR NEW.serial IS NOT OLD.serial OR NEW.at IS NOT OLD.at
            OR OLD.photo IS NOT NULL
       BEGIN SELECT RAISE(ABORT, 'a counterfeit note is recorded once (its photo may be added once)'); END""",
    """CREATE TRIGGER counterfeits_no_delete BEFORE DELETE ON counterfeits
       BEGIN SELECT RAISE(ABORT, 'counterfeit notes are never deleted'); END""",
    """CREATE TABLE vendor_claims (
        id INTEGER PRIMARY KEY,
        session TEXT NOT NULL REFERENCES custody_sessions(id),
        box_id TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
        notes INTEGER NOT NULL CHECK (typeof(notes) = 'integer' AND notes > 0),
        created TEXT NOT NULL,
        by TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('claimed', 'compensated', 'rejected', 'bad_debt')),
        updated TEXT,
        updated_by TEXT,
        vendor_ref TEXT,
        remark TEXT
    )""",
    """CREATE TRIGGER vendor_claims_fixed BEFORE UPDATE OF id, session, box_id, amount, notes, created, by
       ON vendor_claims BEGIN SELECT RAISE(ABORT, 'what a claim is for never changes'); END""",
    # claimed -> compensated | rejected | bad_debt; rejected -> bad_debt (坏账); the others are final
    """CREATE TRIGGER vendor_claims_status BEFORE UPDATE OF status ON vendor_claims
       WHEN NOT ((OLD.status = 'claimed' AND NEW.status IN ('compensated', 'rejected', 'bad_debt'))
                 OR (OLD.status = 'rejected' AND NEW.status = 'bad_debt'))
       BEGIN SELECT RAISE(ABORT, 'a claim goes claimed -> compensated, rejected or bad debt; rejected -> bad debt'); END""",
    """CREATE TRIGGER vendor_claims_no_delete BEFORE DELETE ON vendor_claims
       BEGIN SELECT RAISE(ABORT, 'claims are never deleted'); END""",
    # one row per note: over (more notes than the counters say), short (fewer) or counterfeit
    """CREATE TABLE differences (
        id INTEGER PRIMARY KEY,
        session TEXT NOT NULL REFERENCES custody_sessions(id),
        box_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('over', 'short', 'counterfeit')),
        value INTEGER NOT NULL CHECK (typeof(value) = 'integer' AND value > 0),
        counterfeit INTEGER REFERENCES counterfeits(id),
        at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
        outcome TEXT CHECK (outcome IS NULL OR outcome IN ('case', 'receipt', 'vendor_claim', 'loss', 'surplus')),
        explanation TEXT,
        ref TEXT,
        claim INTEGER REFERENCES vendor_claims(id),
        by TEXT,
        approved_by TEXT,
        resolved TEXT,
        CHECK ((kind = 'counterfeit') = (counterfeit IS NOT NULL)),
        CHECK ((status = 'resolved') = (outcome IS NOT NULL AND explanation IS NOT NULL AND by IS NOT NULL
                                        AND approved_by IS NOT NULL AND resolved IS NOT NULL)),
        CHECK (approved_by IS NULL OR approved_by != by),
        CHECK (outcome IS NULL OR (kind = 'over' AND outcome IN ('case', 'receipt', 'surplus'))
               OR (kind != 'over' AND outcome IN ('vendor_claim', 'loss'))),
        CHECK ((outcome IS 'vendor_claim') = (claim IS NOT NULL)),
        CHECK ((COALESCE(outcome, '') IN ('case', 'receipt')) = (ref IS NOT NULL))
    )""",
    "CREATE INDEX differences_open ON differences(status, id)",
    """CREATE TRIGGER differences_resolved_once BEFORE UPDATE ON differences
       WHEN OLD.status = 'resolved' OR NEW.id IS NOT OLD.id OR NEW.session IS NOT OLD.session
            OR NEW.box_id IS NOT OLD.box_id OR NEW.kind IS NOT OLD.kind OR NEW.value IS NOT OLD.value
            OR NEW.counterfeit IS NOT OLD.counterfeit OR NEW.at IS NOT OLD.at
       BEGIN SELECT RAISE(ABORT, 'a difference is resolved once and otherwise never changes'); END""",
    """CREATE TRIGGER differences_no_delete BEFORE DELETE ON differences
       BEGIN SELECT RAISE(ABORT, 'differences are never deleted'); END""",
    # the key register: who holds each copy of the terminal and cash-box keys, and every handover
    """CREATE TABLE key_copies (
        id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 32),
        key TEXT NOT NULL CHECK (key IN ('terminal', 'box')),
        holder TEXT NOT NULL REFERENCES staff(id),
        since TEXT NOT NULL
    )""",
    """CREATE TRIGGER key_copies_kind_fixed BEFORE UPDATE OF id, key ON key_copies
       BEGIN SELECT RAISE(ABORT, 'a key copy keeps its id and kind'); END""",
    """CREATE TRIGGER key_copies_no_delete BEFORE DELETE ON key_copies
       BEGIN SELECT RAISE(ABORT, 'key copies are never deleted'); END""",
    """CREATE TABLE key_handovers (
        id INTEGER PRIMARY KEY,
        copy TEXT NOT NULL REFERENCES key_copies(id),
        key TEXT NOT NULL,
        from_id TEXT,
        to_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        CHECK (from_id IS NULL OR from_id != to_id)
    )""",
    """CREATE TRIGGER key_handovers_no_update BEFORE UPDATE ON key_handovers
       BEGIN SELECT RAISE(ABORT, 'key handovers are append-only'); END""",
    """CREATE TRIGGER key_handovers_no_delete BEFORE DELETE ON key_handovers
       BEGIN SELECT RAISE(ABORT, 'key handovers are append-only'); END""",
    """CREATE TABLE patrols (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        by_name TEXT NOT NULL,
        via TEXT NOT NULL,
        screen_ok INTEGER NOT NULL CHECK (screen_ok IN (0, 1)),
        paper_ok INTEGER NOT NULL CHECK (paper_ok IN (0, 1)),
        seal_ok INTEGER NOT NULL CHECK (seal_ok IN (0, 1)),
        note TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX patrols_at ON patrols(at)",
    """CREATE TRIGGER patrols_no_update BEFORE UPDATE ON patrols
       BEGIN SELECT RAISE(ABORT, 'patrols are append-only'); END""",
    """CREATE TRIGGER patrols_no_delete BEFORE DELETE ON patrols
       BEGIN SELECT RAISE(ABORT, 'patrols are append-only'); END""",
    # what the batches carry of all the above, in the order it happened (cursor: its id)
    """CREATE TABLE register_records (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('handover', 'counterfeit', 'difference', 'claim', 'key', 'patrol')),
        at TEXT NOT NULL,
        data TEXT NOT NULL,
        seq INTEGER NOT NULL UNIQUE REFERENCES audit(seq)  -- its chain entry, written in the same transaction
    )""",
    """CREATE TRIGGER register_records_no_update BEFORE UPDATE ON register_records
       BEGIN SELECT RAISE(ABORT, 'register records are append-only'); END""",
    """CREATE TRIGGER register_records_no_delete BEFORE DELETE ON register_records
       BEGIN SELECT RAISE(ABORT, 'register records are append-only'); END""",
)

# Migration 16: the in-doubt note (kioskd/ledger/doubts.py) that explains a count's over note is
# named on that note's difference, once: set when the count records the difference, never changed.
V16_DIFFERENCE_DOUBT: tuple[str, ...] = (
    "ALTER TABLE differences ADD COLUMN doubt INTEGER REFERENCES doubt_notes(id)"
    " CHECK (doubt IS NULL OR kind = 'over')",
    "CREATE UNIQUE INDEX differences_doubt ON differences(doubt) WHERE doubt IS NOT NULL",
    "DROP TRIGGER differences_resolved_once",
    """CREATE TRIGGER differences_resolved_once BEFORE UPDATE ON differences
       WHEN OLD.status = 'resolved' OR NEW.id IS NOT OLD.id OR NEW.session IS NOT OLD.session
            OR NEW.box_id IS NOT OLD.box_id OR NEW.kind IS NOT OLD.kind OR NEW.value IS NOT OLD.value
            OR NEW.counterfeit IS NOT OLD.counterfeit OR NEW.at IS NOT OLD.at OR NEW.doubt IS NOT OLD.doubt
       BEGIN SELECT RAISE(ABORT, 'a difference is resolved once and otherwise never changes'); END""",
)
