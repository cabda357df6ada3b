"""Storage faults: the journal refuses to run where it cannot keep money safe."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kioskd.ledger import Ledger, StorageError
from kioskd.ledger.schema import JOURNAL_FILE, check_pragmas
from tests.ledger.conftest import KIOSK, account, credit, paid


@contextmanager
def immutable(directory: Path) -> Iterator[None]:
    """Make `directory` read-only even for root (chattr +i); skip where that is impossible."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr not available")
    if subprocess.run(["chattr", "+i", str(directory)], capture_output=True).returncode != 0:
        pytest.skip("cannot set the immutable attribute here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


async def test_ledger_connection_runs_wal_and_synchronous_full(ledger: Ledger) -> None:
    assert ledger._db is not None
    db = ledger._db

    def pragmas() -> tuple[str, int]:
        return (
            db.execute("PRAGMA journal_mode").fetchone()[0],
            db.execute("PRAGMA synchronous").fetchone()[0],
        )

    assert await ledger._run(pragmas) == ("wal", 2)


def test_pragma_check_refuses_a_connection_without_full_sync(tmp_path: Path) -> None:
    conn = sqlite3.connect(str(tmp_path / "x.sqlite3"))
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    with pytest.raises(StorageError, match="synchronous is 1, FULL"):
        check_pragmas(conn, "x")
    conn.execute("PRAGMA synchronous = FULL")
    check_pragmas(conn, "x")
    conn.close()


def test_pragma_check_refuses_a_journal_that_cannot_be_wal() -> None:
    conn = sqlite3.connect(":memory:")  # WAL is impossible in memory: mode stays "memory"
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    with pytest.raises(StorageError, match="journal_mode is memory, WAL required"):
        check_pragmas(conn, ":memory:")
    conn.close()


async def test_open_refuses_a_read_only_state_directory(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    with immutable(state), pytest.raises(StorageError) as caught:
        await Ledger.open(state, KIOSK)
    assert "\n" not in str(caught.value) and str(state) in str(caught.value)


async def test_open_refuses_when_wal_cannot_be_created(tmp_path: Path) -> None:
    ledger = await Ledger.open(tmp_path / "state", KIOSK)
    await paid(ledger, 100)
    await ledger.close()  # last close checkpoints and removes the -wal file
    assert not (tmp_path / "state" / f"{JOURNAL_FILE}-wal").exists()
    with immutable(tmp_path / "state"), pytest.raises(StorageError):
        await Ledger.open(tmp_path / "state", KIOSK)


async def test_open_refuses_a_corrupt_file(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_FILE).write_bytes(b"this is not a database, it is garbage " * 200)
    with pytest.raises(StorageError, match="not a database") as caught:
        await Ledger.open(tmp_path, KIOSK)
    assert "\n" not in str(caught.value)


async def test_open_refuses_a_damaged_page(tmp_path: Path) -> None:
    ledger = await Ledger.open(tmp_path, KIOSK)
    for _ in range(30):
        await paid(ledger, 100, 500)
    await ledger.close()
    path = tmp_path / JOURNAL_FILE
    data = bytearray(path.read_bytes())
    page = 4096
    data[3 * page : 4 * page] = b"\xa5" * page  # a torn/garbled page in the middle
    path.write_bytes(bytes(data))
    with pytest.raises(StorageError):
        await Ledger.open(tmp_path, KIOSK)


async def test_disk_full_fails_the_whole_write_and_keeps_the_journal(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    assert ledger._db is not None
    db = ledger._db
    pages = await ledger._run(lambda: db.execute("PRAGMA page_count").fetchone()[0])
    # no tiny tmpfs here: cap the file at its current size, so the next growth fails
    await ledger._run(lambda: db.execute(f"PRAGMA max_page_count = {pages}"))
    with pytest.raises(StorageError, match="full") as caught:
        for _ in range(5000):
            await credit(ledger, txn, 100)
    assert "\n" not in str(caught.value)

    record = await ledger.transaction(txn)
    assert record is not None and record.amount == 100 * len(record.notes)
    assert await ledger.counters() == {100: len(record.notes)}

    await ledger._run(lambda: db.execute("PRAGMA max_page_count = 1073741823"))
    await credit(ledger, txn, 100)  # space is back: the journal carries on
    assert (await ledger.transaction(txn)).amount == 100 * (len(record.notes) + 1)  # type: ignore[union-attr]


async def test_backup_is_a_restorable_consistent_copy(ledger: Ledger, tmp_path: Path) -> None:
    first = await paid(ledger, 10000, 5000)
    await ledger.settle(first, "credited", balance=0, ref="B-1")
    open_txn = await ledger.open_payment(account())
    await credit(ledger, open_txn, 2000)
    await ledger.outbox_put("payment", first, "jws")
    await ledger.audit_append("custody_open", {"box": "A"})

    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    await ledger.backup(restored_dir / JOURNAL_FILE)
    assert not list(restored_dir.glob("*.partial"))

    restored = await Ledger.open(restored_dir, KIOSK)
    assert await restored.transactions() == await ledger.transactions()
    assert await restored.counters() == {10000: 1, 5000: 1, 2000: 1}
    assert await restored.outbox_depth() == {"payment": 1}
    assert await restored.audit_head() == await ledger.audit_head()
    assert await restored.audit_verify() is None
    assert await restored.recover() == [open_txn]
    await restored.close()
