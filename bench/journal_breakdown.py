"""Where one note credit's time goes: the crossing, each SQL statement, the chain entry, the WAL commit.

The daemon's own code runs (JournalStore.commit_note through Ledger): the connection is wrapped in
a proxy that times each statement by its first words, and the chain-entry helpers are wrapped
likewise, so nothing here re-implements the credit. The WAL frames a credit writes are read from
the -shm file's header (its mxFrame), so no checkpoint is forced between notes.
"""

from __future__ import annotations

import collections
import mmap
import os
import statistics
import struct
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kioskd.ledger import audit, journal
from kioskd.ledger.schema import JOURNAL_FILE

Timings = dict[str, list[float]]
WAL_HEADER, FRAME_HEADER = 32, 24


class WalShapedLog:
    """`frames` WAL frames (a 24-byte header, then a page: two writes each, as SQLite does) + fdatasync.

    Overwritten in place in a file already on disk, as the journal's WAL is once warm: what a
    commit of that many pages costs the disk at the very least, with no SQL and no Python around it.
    """

    def __init__(self, directory: Path, frames: int, page: int = 4096, span: int = 200) -> None:
        self.path, self.frames, self.page = directory / "wal-shaped.bin", frames, page
        self._end = WAL_HEADER + span * (FRAME_HEADER + page)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.write(self.fd, bytes(self._end + frames * (FRAME_HEADER + page)))
        os.fsync(self.fd)
        self._at = WAL_HEADER
        self._header, self._page = b"h" * FRAME_HEADER, b"p" * page

    def write(self) -> float:
        """One commit's frames and its fdatasync; seconds taken."""
        start = time.perf_counter()
        for _ in range(self.frames):
            os.pwrite(self.fd, self._header, self._at)
            os.pwrite(self.fd, self._page, self._at + FRAME_HEADER)
            self._at += FRAME_HEADER + self.page
        os.fdatasync(self.fd)
        if self._at > self._end:  # the WAL restarts at its start after a checkpoint
            self._at = WAL_HEADER
        return time.perf_counter() - start

    def close(self) -> None:
        """Close and remove the file."""
        os.close(self.fd)
        self.path.unlink()


class TimedConnection:
    """A sqlite3 connection whose execute() adds its time under the statement's first words."""

    def __init__(self, conn: Any, timings: Timings) -> None:
        self._conn, self._timings = conn, timings

    def execute(self, sql: str, *args: Any) -> Any:
        """Run the statement, timing it."""
        start = time.perf_counter()
        try:
            return self._conn.execute(sql, *args)
        finally:
            self._timings[statement_label(sql)].append(time.perf_counter() - start)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def statement_label(sql: str) -> str:
    """'INSERT INTO notes', 'DELETE FROM stack_intent', 'COMMIT', ...: what a statement is, short."""
    words = sql.split()
    return " ".join(words[:3] if words[0].upper() in ("INSERT", "DELETE") else words[:2])


@contextmanager
def timed_helpers(timings: Timings) -> Any:
    """Time the chain entry's text (note_data_json) and its hash (entry_hash) while inside."""
    originals = (journal.note_data_json, audit.entry_hash)

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                timings[label].append(time.perf_counter() - start)
        return run

    journal.note_data_json = timed("chain entry: canonical JSON (Python)", originals[0])  # type: ignore[assignment]
    audit.entry_hash = timed("chain entry: sha256 (Python)", originals[1])  # type: ignore[assignment]
    try:
        yield
    finally:
        journal.note_data_json, audit.entry_hash = originals  # type: ignore[assignment]


class WalFrames:
    """The WAL's frame count (mxFrame) and page size, from the -shm file's index header."""

    def __init__(self, directory: Path) -> None:
        self._fd = os.open(directory / (JOURNAL_FILE + "-shm"), os.O_RDONLY)
        self._map = mmap.mmap(self._fd, 136, prot=mmap.PROT_READ)

    def frames(self) -> int:
        """Frames in the WAL now (the first copy of the header; SQLite writes it on each commit)."""
        return int(struct.unpack_from("=I", self._map, 16)[0])

    def page_size(self) -> int:
        """The database page size the WAL frames carry."""
        size = struct.unpack_from("=H", self._map, 14)[0]
        return 65536 if size == 1 else int(size)

    def close(self) -> None:
        """Unmap and close."""
        self._map.close()
        os.close(self._fd)


async def breakdown(ledger: Any, txn_for: Callable[[int], Any], count: int) -> None:
    """Credit `count` notes through `ledger`, each after its stack intent, and print where the time goes."""
    from kioskd.ledger.handoff import LedgerThread  # noqa: F401  (the thread the ledger already runs)

    db = ledger._db
    timings: Timings = collections.defaultdict(list)
    wal = WalFrames(ledger.path.parent)
    crossing, inside, total, frames = [], [], [], []
    journal_store = ledger._journal
    original_commit = journal_store.commit_note

    def commit_timed(txn: str, value: int) -> None:
        start = time.perf_counter()
        try:
            original_commit(txn, value)
        finally:
            inside.append(time.perf_counter() - start)

    try:
        for i in range(count):
            txn = await txn_for(i)
            await ledger.stack_requested(txn, 1000)
            start = time.perf_counter()
            await ledger._run(lambda: None)
            crossing.append(time.perf_counter() - start)
            await ledger._run(_install, db, timings)
            before = wal.frames()
            journal_store.commit_note = commit_timed
            start = time.perf_counter()
            with timed_helpers(timings):
                await ledger.commit_note(txn, 1000)
            total.append(time.perf_counter() - start)
            journal_store.commit_note = original_commit
            after = wal.frames()
            await ledger._run(_uninstall, db)
            if after > before:  # not across a WAL restart (the first write after a checkpoint)
                frames.append(after - before)
        page = wal.page_size()
    finally:
        wal.close()
    _print(timings, crossing, inside, total, frames, page)


def _install(db: Any, timings: Timings) -> None:
    db.conn = TimedConnection(db.conn, timings)


def _uninstall(db: Any) -> None:
    db.conn = db.conn._conn


def _print(timings: Timings, crossing: list[float], inside: list[float], total: list[float],
           frames: list[int], page: int) -> None:
    def us(values: list[float]) -> str:
        return f"{statistics.median(values) * 1e6:7.1f} us"

    print(f"breakdown of one note credit, medians of {len(total)} (stack intent recorded before each, untimed):")
    print(f"  credit as the loop sees it        {us(total)}")
    print(f"  inside commit_note (ledger thread) {us(inside)}")
    print(f"  crossing (credit minus inside)    {us([t - i for t, i in zip(total, inside, strict=True)])}")
    print(f"  crossing, an empty call           {us(crossing)}")
    for label, values in sorted(timings.items(), key=lambda item: -statistics.median(item[1])):
        per_note = len(values) / len(total)
        print(f"  {label:34s}{us(values)}" + (f"  ({per_note:.0f} per note)" if per_note != 1 else ""))
    common = collections.Counter(frames).most_common(1)[0][0] if frames else 0
    print(f"  WAL frames per note: {common} (min {min(frames, default=0)}, max {max(frames, default=0)}) x"
          f" ({page} + 24) bytes = {common * (page + 24)} bytes, one fdatasync (inside COMMIT)")
