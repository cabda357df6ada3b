"""Note commits per second through the Ledger next to raw write+fsync per second.

Both run in the same directory (same disk) in the same run, so the ratio says how
much the journal costs over the one fsync a durable note needs at the very least.
Run from the repository root: .venv/bin/python -m bench.journal_commit [--notes N] [--dir PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kioskd.ledger import Ledger  # noqa: E402
from statemachine.ports import AccountInfo  # noqa: E402


def raw_fsyncs(directory: Path, count: int) -> float:
    """Appends of a 64-byte record, each followed by fsync; returns per second."""
    path = directory / "raw.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    record = b"n" * 63 + b"\n"
    try:
        start = time.perf_counter()
        for _ in range(count):
            os.write(fd, record)
            os.fsync(fd)
        elapsed = time.perf_counter() - start
    finally:
        os.close(fd)
        path.unlink()
    return count / elapsed


async def ledger_commits(directory: Path, count: int) -> tuple[float, float]:
    """(note commits/s alone, stack_requested + commit_note pairs/s) through the Ledger."""
    ledger = await Ledger.open(directory, "K-BENCH")
    info = AccountInfo("0012345678", "h", 0, 0, "CNY", 100, 10**12)
    try:
        txn = await ledger.open_payment(info)
        start = time.perf_counter()
        for _ in range(count):
            await ledger.commit_note(txn, 1000)
        commits = count / (time.perf_counter() - start)

        txn = await ledger.open_payment(info)
        start = time.perf_counter()
        for _ in range(count):
            await ledger.stack_requested(txn, 1000)
            await ledger.commit_note(txn, 1000)
        pairs = count / (time.perf_counter() - start)
    finally:
        await ledger.close()
    return commits, pairs


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=500)
    parser.add_argument("--dir", type=Path, default=None, help="directory on the disk to test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        directory = Path(tmp)
        raw_before = raw_fsyncs(directory, args.notes)
        commits, pairs = asyncio.run(ledger_commits(directory, args.notes))
        raw_after = raw_fsyncs(directory, args.notes)
    raw = (raw_before + raw_after) / 2
    print(f"directory: {directory} (notes per run: {args.notes})")
    print(f"raw write+fsync:              {raw:10.1f} /s  (before {raw_before:.1f}, after {raw_after:.1f})")
    print(f"ledger commit_note:           {commits:10.1f} /s  ratio to raw {commits / raw:.2f}")
    print(f"ledger stack_requested+commit:{pairs:10.1f} /s  ratio to raw {pairs / raw:.2f}")


if __name__ == "__main__":
    main()
