"""`kioskctl backup` and `kioskctl restore`: a consistent copy of the journal, and putting one back."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from kioskd import config as cfg
from kioskd.ledger import Ledger, LedgerError

DEFAULT_CONFIG = Path("/etc/kioskd/kioskd.toml")
JOURNAL = "journal.sqlite3"


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `backup DEST` and `restore SRC`."""
    backup = sub.add_parser("backup", help="write a consistent copy of the journal (safe while running)")
    backup.add_argument("dest", type=Path, help="file to write")
    backup.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    backup.set_defaults(func=run_backup)
    restore = sub.add_parser("restore", help="put a backup in place of the journal (kioskd stopped)")
    restore.add_argument("src", type=Path, help="a file written by kioskctl backup")
    restore.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    restore.set_defaults(func=run_restore)


def _config(path: Path) -> cfg.Config | None:
    try:
        return cfg.load(path)
    except cfg.ConfigError as err:
        print(err, file=sys.stderr)
        return None


async def _summary(state_dir: Path, kiosk: str, currency: str) -> str:
    ledger = await Ledger.open(state_dir, kiosk, currency)
    try:
        txns = await ledger.transactions()
        paid = [t for t in txns if t.seq is not None]
        last = max((t.seq for t in paid), default=0)
        return f"{len(paid)} payments (last seq {last}), {sum(t.amount for t in paid)} fen"
    finally:
        await ledger.close()


def run_backup(args: argparse.Namespace) -> int:
    """Copy the journal with SQLite's backup API; the copy opens on its own."""
    config = _config(args.config)
    if config is None:
        return cfg.EXIT_CONFIG

    async def backup() -> str:
        ledger = await Ledger.open(config.state_dir, config.kiosk.id, config.kiosk.currency)
        try:
            await ledger.backup(args.dest.resolve())
        finally:
            await ledger.close()
        with tempfile.TemporaryDirectory() as tmp:  # prove the copy opens and count it
            shutil.copyfile(args.dest, Path(tmp) / JOURNAL)
            return await _summary(Path(tmp), config.kiosk.id, config.kiosk.currency)

    try:
        summary = asyncio.run(backup())
    except LedgerError as err:
        print(f"kioskctl backup: {err}", file=sys.stderr)
        return 1
    print(f"backup written to {args.dest}: {summary}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """Check a backup, keep the present journal aside, and put the backup in its place."""
    config = _config(args.config)
    if config is None:
        return cfg.EXIT_CONFIG
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(args.src, Path(tmp) / JOURNAL)
        try:
            summary = asyncio.run(_summary(Path(tmp), config.kiosk.id, config.kiosk.currency))
        except LedgerError as err:
            print(f"kioskctl restore: {args.src} is not a usable journal: {err}", file=sys.stderr)
            return 1
    target = config.state_dir / JOURNAL
    aside = target.with_name(f"{JOURNAL}.before-restore-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
    for suffix in ("", "-wal", "-shm"):
        old = Path(str(target) + suffix)
        if old.exists():
            os.replace(old, Path(str(aside) + suffix))
    partial = target.with_name(JOURNAL + ".restoring")
    shutil.copyfile(args.src, partial)
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, target)
    print(f"restored {args.src} ({summary}); the previous journal is kept as {aside}")
    return 0
