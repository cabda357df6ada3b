"""Journal schema as ordered migrations, and the checked connection the ledger uses.

The money rules live in the schema itself (CHECK constraints and triggers), so a bug
elsewhere in kioskd cannot write a transaction whose amount differs from its notes,
skip a `seq`, or drop a transaction that took cash.

The migrations' statements live beside this module, one module per table group
(schema_journal, schema_custody, schema_customer, schema_cases, schema_registers, ...); a new
migration is a new constant appended to MIGRATIONS, and a landed one is never edited
(tests/ledger/test_migrations.py holds each to its digest).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from kioskd.ledger.errors import StorageError, sqlite_values
from kioskd.ledger.schema_cases import V6_CASES
from kioskd.ledger.schema_credit import (
    V14_NOTE_CREDIT,
    V15_AUDIT_KIND,
    V17_AUDIT_HASH_UNINDEXED,
    V19_NOTES_TXN_VALUE,
    V20_AUDIT_KIND_PARTIAL,
)
from kioskd.ledger.schema_custody import V4_CUSTODY, V8_STAFF, V11_PINS_KEYED
from kioskd.ledger.schema_customer import V5_RATINGS, V7_INVOICES, V9_SELF_REPRINTS
from kioskd.ledger.schema_doubts import V13_DOUBT_NOTES
from kioskd.ledger.schema_journal import (
    V1_JOURNAL,
    V2_OUTBOX,
    V3_AUDIT,
    V10_STATE_INDEX,
    V18_ENDED_INDEX,
    V21_OPENED_REASON,
)
from kioskd.ledger.schema_registers import V12_REGISTERS, V16_DIFFERENCE_DOUBT
from kioskd.system.notify import notify

JOURNAL_FILE = "journal.sqlite3"

# Seconds a statement waits for a lock held by another reader/writer (kioskctl, backup).
BUSY_TIMEOUT = 5.0

# Index i holds the statements that take the schema from user_version i to i + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (V1_JOURNAL, V2_OUTBOX, V3_AUDIT, V4_CUSTODY, V5_RATINGS,
                                           V6_CASES, V7_INVOICES, V8_STAFF, V9_SELF_REPRINTS,
                                           V10_STATE_INDEX, V11_PINS_KEYED,
                                           V12_REGISTERS, V13_DOUBT_NOTES, V14_NOTE_CREDIT,
                                           V15_AUDIT_KIND, V16_DIFFERENCE_DOUBT, V17_AUDIT_HASH_UNINDEXED,
                                           V18_ENDED_INDEX, V19_NOTES_TXN_VALUE,
                                           V20_AUDIT_KIND_PARTIAL, V21_OPENED_REASON)
LATEST_VERSION = len(MIGRATIONS)
# Migrations that rebuild a table other tables refer to: SQLite's procedure runs them with foreign
# keys off (a DROP would otherwise delete the referred rows first); checked before they commit.
REBUILDS = frozenset({MIGRATIONS.index(V17_AUDIT_HASH_UNINDEXED) + 1})
# A rebuild copies a table once, before READY: about 10 us an entry (2.4 s for 230,000 under load),
# so a year's chain may take longer than the unit's TimeoutStartSec=60. systemd is told to wait;
# were it to kill the start anyway, the migration would roll back and be tried again from scratch.
REBUILD_START_TIMEOUT_USEC = 30 * 60 * 1_000_000
PINS_KEYED_VERSION = MIGRATIONS.index(V11_PINS_KEYED) + 1


def connect(path: Path, quick_check: bool = True) -> Database:
    """Open the journal file, set WAL + synchronous=FULL and check that they hold."""
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT)
    except sqlite3.Error as err:
        raise StorageError(f"journal {path}: cannot open: {err}", "sqlite", path=str(path), **sqlite_values(err)) from err
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
        raise StorageError(f"journal {path}: unusable: {err}", "sqlite", path=str(path), **sqlite_values(err)) from err
    return db


def check_pages(conn: sqlite3.Connection, path: Path | str) -> None:
    """PRAGMA quick_check: StorageError naming the first problem (O(size): ~2.5 s for a year)."""
    verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
    if verdict != "ok":
        raise StorageError(f"journal {path}: corrupt: {verdict}", "corrupt", path=str(path), verdict=verdict)


def check_pragmas(conn: sqlite3.Connection, path: Path | str) -> None:
    """Raise StorageError unless WAL, synchronous=FULL and foreign keys are in force."""
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StorageError(f"journal {path}: journal_mode is {mode}, WAL required", "pragma", path=str(path),
                           pragma="journal_mode", value=mode, required="wal")
    sync = conn.execute("PRAGMA synchronous").fetchone()[0]
    if sync < 2:  # 2 = FULL, 3 = EXTRA: fsync of the WAL on every commit
        raise StorageError(f"journal {path}: synchronous is {sync}, FULL (2) required", "pragma", path=str(path),
                           pragma="synchronous", value=sync, required="FULL (2)")
    if conn.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
        raise StorageError(f"journal {path}: foreign_keys is off", "pragma", path=str(path),
                           pragma="foreign_keys", value="off", required="on")


def user_version(db: Database) -> int:
    """The schema version stored in the file."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database, target: int = LATEST_VERSION) -> int:
    """Apply the migrations after the file's version up to `target`, each one atomic."""
    current = user_version(db)
    if current > LATEST_VERSION:
        raise StorageError(
            f"journal schema version {current} is newer than this kioskd ({LATEST_VERSION})",
            "newer", version=current, latest=LATEST_VERSION,
        )
    for version in range(current, target):
        rebuild = version + 1 in REBUILDS
        enforced = bool(db.execute("PRAGMA foreign_keys").fetchone()[0])
        if rebuild:
            notify(f"EXTEND_TIMEOUT_USEC={REBUILD_START_TIMEOUT_USEC}",
                   f"STATUS=journal migration {version + 1}: rebuilding a table, once (may take a minute)")
            _foreign_keys(db, on=False)
        try:
            with db.atomic():
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                if rebuild and db.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise StorageError(f"journal migration {version + 1}: a reference would break", "migration_reference",
                                       version=version + 1)
                # user_version is transactional: it moves with the tables or not at all
                db.execute(f"PRAGMA user_version = {version + 1}")
        finally:
            if rebuild:
                _foreign_keys(db, on=enforced)
    return user_version(db)


def _foreign_keys(db: Database, *, on: bool) -> None:
    # a no-op inside a transaction: set between them
    with db.ensure_autocommit_on():
        db.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
