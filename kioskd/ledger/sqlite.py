"""The journal file itself: opening and migrating it, reading every page, a consistent backup, and
one-line errors for what SQLite or the disk refuse. Runs on the Ledger's own thread.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from kioskd.ledger import schema
from kioskd.ledger.errors import LedgerError, StorageError, sqlite_values
from kioskd.ledger.journal import JournalStore

T = TypeVar("T")


def backup_sync(db: Database, dest: Path) -> None:
    """A consistent copy of `db` at `dest`: SQLite's backup API into a .partial file, fsynced, renamed."""
    try:  # a refusal names the copy, not the journal it is made from
        _backup(db, dest)
    except sqlite3.Error as err:
        raise StorageError(f"backup {dest}: {err}", "sqlite", path=str(dest), **sqlite_values(err)) from err
    except OSError as err:
        raise StorageError(f"backup {dest}: {err.strerror or err}", "backup_dest", path=str(dest),
                           why=err.strerror or str(err), errno=err.errno) from err


def _backup(db: Database, dest: Path) -> None:
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    # the copy holds PIN hashes and every payment: only the kiosk's user may read it
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    target = sqlite3.connect(str(partial))
    try:
        # one self-contained file: no -wal next to the copy
        target.execute("PRAGMA journal_mode = DELETE")
        db.conn.backup(target)
    finally:
        target.close()
    fsync_path(partial)
    os.replace(partial, dest)  # the copy appears whole or not at all
    fsync_path(dest.parent)


def open_sync(path: Path, kiosk_id: str, currency: str, quick_check: bool = True) -> Database:
    """Open (creating and migrating) the journal at `path` for this kiosk; StorageError if it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StorageError(f"journal {path}: cannot create the state directory: {err}", "state_dir",
                           path=str(path.parent), why=err.strerror or str(err), errno=err.errno) from err
    db = schema.connect(path, quick_check)
    try:
        translated(path, schema.migrate, db)
        translated(path, JournalStore(db, kiosk_id, currency).bind_kiosk)
        fsync_path(path.parent)  # the journal's directory entry must survive a power cut
    except BaseException:
        db.close()
        raise
    return db


def check_pages_sync(path: Path) -> None:
    """Read every page of the journal (a read-only connection): StorageError on a damaged file."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=schema.BUSY_TIMEOUT)
    try:
        translated(path, schema.check_pages, conn, path)
    finally:
        conn.close()


def translated(path: Path, fn: Callable[..., T], *args: Any) -> T:
    """Run fn, turning sqlite/OS errors into one-line LedgerError/StorageError."""
    try:
        return fn(*args)
    except sqlite3.IntegrityError as err:
        # a constraint or trigger refused the write: a broken money rule, not the disk
        raise LedgerError(f"journal {path}: refused: {err}") from err
    except sqlite3.Error as err:
        raise StorageError(f"journal {path}: {err}", "sqlite", path=str(path), **sqlite_values(err)) from err
    except OSError as err:
        raise StorageError(f"journal {path}: {err.strerror or err}", "os", path=str(path), why=err.strerror or str(err),
                           errno=err.errno) from err


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (so a rename or a new file survives a power cut)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
