"""`kioskctl backup` and `kioskctl restore`: a consistent copy of the journal, and putting one back."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from drivers.statefile import fsync_dir
from kioskd import config as cfg
from kioskd.cli.where import resolve
from kioskd.ledger import Ledger, LedgerError

JOURNAL = "journal.sqlite3"


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `backup DEST` and `restore SRC`."""
    backup = sub.add_parser("backup", help="write a consistent copy of the journal (safe while running)")
    backup.add_argument("dest", type=Path, help="file to write")
    backup.set_defaults(func=run_backup)
    restore = sub.add_parser("restore", help="put a backup in place of the journal (kioskd stopped)")
    restore.add_argument("src", type=Path, help="a file written by kioskctl backup")
    restore.set_defaults(func=run_restore)


def _config(args: argparse.Namespace) -> cfg.Config | None:
    """The kiosk's config (its id and currency name the journal), with --state applied."""
    target = resolve(args)
    if target.loaded is None:
        print(f"kioskctl: {target.describe()}: name the kiosk's config with --config FILE", file=sys.stderr)
        return None
    config = target.loaded
    storage = dataclasses.replace(config.storage, path=str(target.state))
    return dataclasses.replace(config, storage=storage)


async def _summary(state_dir: Path, kiosk: str, currency: str) -> str:
    ledger = await Ledger.open(state_dir, kiosk, currency)
    try:
        txns = await ledger.transactions()
        paid = [t for t in txns if t.seq is not None]
        last = max((t.number for t in paid), default=0)
        return f"{len(paid)} payments (last seq {last}), {sum(t.amount for t in paid)} fen"
    finally:
        await ledger.close()


def run_backup(args: argparse.Namespace) -> int:
    """Copy the journal with SQLite's backup API; the copy opens on its own."""
    config = _config(args)
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
    config = _config(args)
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
    fsync_dir(target.parent)  # else a power cut could bring the old journal back
    print(f"restored {args.src} ({summary}); the previous journal is kept as {aside}")
    return 0
