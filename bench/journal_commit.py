"""Note credits through the Ledger (chain entry included) next to raw write+fsync, and start-up checks.

Both run in the same directory (same disk) in the same run, interleaved note by note, so
the ratio says how much the journal costs over the one fsync a durable note needs at the
very least, under the same disk load. The journal is first warmed up with `--warm` notes,
as a kiosk's journal is after its first day (SQLite then reuses its WAL file in place).
Then a journal of `--verify-notes` notes is built and the start-up check timed (from the
last signed checkpoint, as start-up does; and the whole chain, as `kioskctl audit verify`).
Run from the repository root: .venv/bin/python -m bench.journal_commit [--notes N] [--dir PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from bench.journal_breakdown import WalFrames, WalShapedLog, breakdown  # noqa: E402
from kioskd.custody.session import key_signer  # noqa: E402
from kioskd.ledger import Ledger  # noqa: E402
from kioskd.ledger.handoff import LedgerThread  # noqa: E402
from kioskd.ledger.journal import JournalStore  # noqa: E402
from kioskd.ledger.schema import JOURNAL_FILE  # noqa: E402
from kioskd.ledger.sqlite import open_sync  # noqa: E402
from kioskd.uplink.keys import signature_checker  # noqa: E402
from statemachine.ports import AccountInfo  # noqa: E402

INFO = AccountInfo("0012345678", "张*明", 0, 0, "CNY", 100, 10**12)
NOTES_PER_PAYMENT = 10


class RawLog:
    """Appends of a 64-byte record, each followed by fsync: the least a durable note costs."""

    def __init__(self, directory: Path, name: str = "raw.bin") -> None:
        self.path = directory / name
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def write(self) -> float:
        start = time.perf_counter()
        os.write(self.fd, b"n" * 63 + b"\n")
        os.fsync(self.fd)
        return time.perf_counter() - start

    def close(self) -> None:
        os.close(self.fd)
        self.path.unlink()


async def credits(directory: Path, count: int, warm: int, with_intent: bool) -> tuple[list[float], list[float]]:
    """(raw times, ledger times): one raw write+fsync, then one note credit, `count` times.

    Each note's stack intent is recorded first, as statemachine.model does before STACK; timed
    with the credit when `with_intent`, else untimed (the credit alone, clearing that intent).
    """
    ledger = await Ledger.open(directory, "K-BENCH")
    raw = RawLog(directory)
    raw_times: list[float] = []
    note_times: list[float] = []
    try:
        txn = await ledger.open_payment(INFO)
        for i in range(warm + count):
            if i and i % NOTES_PER_PAYMENT == 0:
                await ledger.close_payment(txn)
                txn = await ledger.open_payment(INFO)
            if not with_intent:  # the daemon records the intent before STACK: the credit then clears it
                await ledger.stack_requested(txn, 1000)
            raw_time = raw.write()
            start = time.perf_counter()
            if with_intent:
                await ledger.stack_requested(txn, 1000)
            await ledger.commit_note(txn, 1000)
            if i >= warm:
                raw_times.append(raw_time)
                note_times.append(time.perf_counter() - start)
        await ledger.close_payment(txn)
    finally:
        raw.close()
        await ledger.close()
    return raw_times, note_times


def frames_per_credit(directory: Path, warm: int) -> int:
    """How many WAL frames one note credit (after its intent) commits in a warm journal."""
    db = open_sync(directory / JOURNAL_FILE, "K-BENCH", INFO.currency)
    journal = JournalStore(db, "K-BENCH", INFO.currency)
    wal = WalFrames(directory)
    try:
        counts = []
        txn = journal.open_payment(INFO.account, INFO.holder, INFO.due, INFO.currency)
        db.execute("PRAGMA synchronous = OFF")  # counting only
        for i in range(warm):
            journal.stack_requested(txn, 1000)
            before = wal.frames()
            journal.commit_note(txn, 1000)
            counts.append(wal.frames() - before)
            if i % NOTES_PER_PAYMENT == NOTES_PER_PAYMENT - 1:
                journal.close_payment(txn)
                txn = journal.open_payment(INFO.account, INFO.holder, INFO.due, INFO.currency)
        journal.close_payment(txn)
        return max(set(counts), key=counts.count)
    finally:
        wal.close()
        db.close()


def on_the_loop(directory: Path, count: int, warm: int) -> tuple[list[float], list[float]]:
    """(raw times, credit times) with the credit run by the caller's own thread: no crossing at all.

    Not what the daemon does (it would block the event loop for each fsync): an option, measured.
    """
    db = open_sync(directory / JOURNAL_FILE, "K-BENCH", INFO.currency)
    journal = JournalStore(db, "K-BENCH", INFO.currency)
    raw = RawLog(directory)
    raw_times: list[float] = []
    note_times: list[float] = []
    try:
        txn = journal.open_payment(INFO.account, INFO.holder, INFO.due, INFO.currency)
        for i in range(warm + count):
            if i and i % NOTES_PER_PAYMENT == 0:
                journal.close_payment(txn)
                txn = journal.open_payment(INFO.account, INFO.holder, INFO.due, INFO.currency)
            journal.stack_requested(txn, 1000)
            raw_time = raw.write()
            start = time.perf_counter()
            journal.commit_note(txn, 1000)
            if i >= warm:
                raw_times.append(raw_time)
                note_times.append(time.perf_counter() - start)
        journal.close_payment(txn)
    finally:
        raw.close()
        db.close()
    return raw_times, note_times


async def handed_off(directory: Path, count: int, frames: int = 0) -> tuple[list[float], list[float]]:
    """(raw times, times of the same write+fsync run on a ledger thread): what the hand-off alone costs.

    The daemon never fsyncs on its event loop (docs/architecture.md): every credit crosses to the
    ledger thread and back, as this does; no journal could be faster than this line. With `frames`,
    the thread writes that many WAL-shaped frames before its fdatasync instead (WalShapedLog): the
    least any SQLite commit of that many pages could take through the thread, with no SQL at all.
    """
    raw = RawLog(directory)
    other = WalShapedLog(directory, frames) if frames else RawLog(directory, "thread.bin")
    thread = LedgerThread()
    raw_times: list[float] = []
    thread_times: list[float] = []
    try:
        for _ in range(count):
            raw_times.append(raw.write())
            start = time.perf_counter()
            await thread.run(other.write)
            thread_times.append(time.perf_counter() - start)
    finally:
        thread.stop()
        raw.close()
        other.close()
    return raw_times, thread_times


async def verification(directory: Path, notes: int) -> tuple[float, float, int]:
    """Build a journal of `notes` credited notes (fsync off while building); time both checks."""
    key = Ed25519PrivateKey.generate()
    ledger = await Ledger.open(directory, "K-BENCH")
    try:
        await ledger.start_run(key_signer(key), {"kiosk": "K-BENCH"})
        await ledger._run(lambda: ledger._db.execute("PRAGMA synchronous = OFF"))  # building only
        for i in range(0, notes, NOTES_PER_PAYMENT):
            txn = await ledger.open_payment(INFO)
            for _ in range(min(NOTES_PER_PAYMENT, notes - i)):
                await ledger.stack_requested(txn, 1000)
                await ledger.commit_note(txn, 1000)
            await ledger.close_payment(txn)
            await ledger.settle(txn, "credited", balance=0, ref=f"B-{i}", reason=None)
            if i % 10_000 == 0:
                await ledger.audit_checkpoint(key_signer(key))
        await ledger.audit_checkpoint(key_signer(key))
        entries = (await ledger.audit_head())[0]
    finally:
        await ledger.close()
    check = signature_checker(key.public_key())
    timings = []
    for full in (False, True):
        ledger = await Ledger.open(directory, "K-BENCH")  # as start-up: open, then check
        try:
            start = time.perf_counter()
            problems = await ledger.audit_check(check, full=full)
            timings.append(time.perf_counter() - start)
        finally:
            await ledger.close()
        assert problems == [], problems
    return timings[0], timings[1], entries


async def broken_down(directory: Path, count: int, warm: int) -> None:
    """Print where a credit's time goes, with the WAL fsynced (as the daemon) and without (CPU only)."""
    ledger = await Ledger.open(directory, "K-BENCH")
    payment: list[str] = []

    async def txn_for(i: int) -> str:
        if i % NOTES_PER_PAYMENT == 0:
            if payment:
                await ledger.close_payment(payment.pop())
            payment.append(await ledger.open_payment(INFO))
        return payment[0]

    try:
        for i in range(warm):
            txn = await txn_for(i)
            await ledger.stack_requested(txn, 1000)
            await ledger.commit_note(txn, 1000)
        await breakdown(ledger, txn_for, count)
        await ledger._run(lambda: ledger._db.execute("PRAGMA synchronous = OFF"))
        print("the same, synchronous = OFF (CPU only, no fsync):")
        await breakdown(ledger, txn_for, count)
    finally:
        await ledger.close()


def report(label: str, raw: list[float], ledger: list[float]) -> None:
    """Print per-second figures (total time) and medians, and the ratio to raw write+fsync."""
    raw_rate, rate = len(raw) / sum(raw), len(ledger) / sum(ledger)
    print(f"{label:34s}{rate:9.1f} /s  ratio to raw {rate / raw_rate:.2f}  (median {statistics.median(ledger) * 1e6:.0f} us,"
          f" raw {raw_rate:.1f} /s, median {statistics.median(raw) * 1e6:.0f} us)")


def break_even(raw: list[float], ledger: list[float], goal: float = 0.70) -> None:
    """Print the credit's cost above raw write+fsync and the disk speed at which `goal` would hold.

    The cost above raw (crossing, SQL, Python, the WAL's extra pages) hardly depends on the disk;
    the ratio does: raw / (raw + cost) >= goal where raw >= cost * goal / (1 - goal). Arithmetic
    on this run's medians, not a measurement of another disk.
    """
    raw_median, cost = statistics.median(raw), statistics.median(ledger) - statistics.median(raw)
    needed = cost * goal / (1 - goal)
    print(f"  cost above raw write+fsync: {cost * 1e6:.0f} us (medians); {goal:.2f} holds on a disk whose"
          f" write+fsync takes >= {needed * 1e6:.0f} us (this one: {raw_median * 1e6:.0f} us)")


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--warm", type=int, default=1000, help="notes credited before measuring")
    parser.add_argument("--verify-notes", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None, help="directory on the disk to test")
    parser.add_argument("--breakdown", action="store_true", help="only print where one credit's time goes")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}"
          f" (notes per run: {args.notes}, after {args.warm} to warm up)")
    if args.breakdown:
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            asyncio.run(broken_down(Path(tmp), args.notes, args.warm))
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        raw, notes = asyncio.run(credits(Path(tmp), args.notes, args.warm, with_intent=False))
        report("note credited (chain entry incl.)", raw, notes)
        break_even(raw, notes)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        raw, handed = asyncio.run(handed_off(Path(tmp), args.notes))
        report("raw write+fsync on a ledger thread", raw, handed)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        frames = frames_per_credit(Path(tmp), 100)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        raw, shaped = asyncio.run(handed_off(Path(tmp), args.notes, frames))
        report(f"{frames} WAL frames+fdatasync, ledger thr.", raw, shaped)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        raw, looped = on_the_loop(Path(tmp), args.notes, args.warm)
        report("option: credited on the loop thread", raw, looped)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        raw, pairs = asyncio.run(credits(Path(tmp), args.notes, args.warm, with_intent=True))
        report("stack intent + note credited", raw, pairs)
    if args.verify_notes:
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            quick, full, entries = asyncio.run(verification(Path(tmp), args.verify_notes))
        print(f"start-up check, {args.verify_notes} notes ({entries} entries): {quick:.3f} s from the last"
              f" checkpoint, {full:.3f} s the whole chain")


if __name__ == "__main__":
    main()
