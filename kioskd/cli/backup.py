"""`kioskctl backup` and `kioskctl restore`: a consistent copy of the journal, and putting one back."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from drivers.statefile import fsync_dir
from kioskd import config as cfg
from kioskd.cli.where import resolve
from kioskd.hall.accounts import socket_caller
from kioskd.ledger import Ledger, LedgerError, StorageError
from kioskd.ledger.integrity import describe_problems
from kioskd.ledger.lock import JournalLock
from kioskd.uplink.errors import KeyFileError
from kioskd.uplink.keys import load_key, signature_checker

JOURNAL = "journal.sqlite3"


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `backup DEST` and `restore SRC`."""
    backup = sub.add_parser("backup", help="write a consistent copy of the journal (safe while running)")
    backup.add_argument("dest", type=Path, help="file to write")
    backup.set_defaults(func=run_backup)
    restore = sub.add_parser("restore", help="put a backup in place of the journal (kioskd stopped)")
    restore.add_argument("src", type=Path, help="a file written by kioskctl backup")
    restore.set_defaults(func=run_restore)
    for parser in (backup, restore):
        parser.add_argument("--json", action="store_true",
                            help="print what was done as JSON (a refusal: exit status and one line on stderr)")


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
        return await _summary_of(ledger)
    finally:
        await ledger.close()


async def _summary_of(ledger: Ledger) -> str:
    paid = [t for t in await ledger.transactions() if t.seq is not None]
    last = max((t.seq for t in paid if t.seq is not None), default=0)
    return f"{len(paid)} payments (last seq {last}), {sum(t.amount for t in paid)} fen"


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
    if args.json:
        print(json.dumps({"ok": True, "written": str(args.dest), "summary": summary}, ensure_ascii=False))
    else:
        print(f"backup written to {args.dest}: {summary}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """Check a backup against its signed chain, keep the present journal aside, put the backup in place."""
    config = _config(args)
    if config is None:
        return cfg.EXIT_CONFIG
    lock = JournalLock(config.state_dir)
    try:
        lock.acquire()
    except StorageError as err:
        print(f"kioskctl restore: {err}; stop kioskd first", file=sys.stderr)
        return 1
    try:
        return _restore(args.src, config, args.json)
    finally:
        lock.release()


def _restore(src: Path, config: cfg.Config, as_json: bool = False) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(src, Path(tmp) / JOURNAL)
        try:
            summary = asyncio.run(_summary(Path(tmp), config.kiosk.id, config.kiosk.currency))
        except LedgerError as err:
            print(f"kioskctl restore: {src} is not a usable journal: {err}", file=sys.stderr)
            return 1
        try:  # the backup is checked against the signatures of this kiosk's key
            check = signature_checker(load_key(config.key_path).public_key())
        except KeyFileError as err:
            print(f"kioskctl restore: {err}", file=sys.stderr)
            return cfg.EXIT_CONFIG
        problems = asyncio.run(_problems(Path(tmp), config, check))
    if problems:
        print(f"kioskctl restore: {src} fails the integrity check: {describe_problems(problems)}",
              file=sys.stderr)
        return 1
    target = config.state_dir / JOURNAL
    aside = target.with_name(f"{JOURNAL}.before-restore-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
    kept = []
    for suffix in ("", "-wal", "-shm"):
        old = Path(str(target) + suffix)
        if old.exists():
            os.replace(old, Path(str(aside) + suffix))
            kept.append(suffix)
    _private_copy(src, target)
    fsync_dir(target.parent)  # else a power cut could bring the old journal back
    asyncio.run(_record_restore(config, src, summary))
    if as_json:
        print(json.dumps({"ok": True, "restored": str(src), "summary": summary,
                          "kept": str(aside) if "" in kept else None}, ensure_ascii=False))
        return 0
    where = f"; the previous journal is kept as {aside}" if "" in kept else ""
    print(f"restored {src} ({summary}){where}")
    return 0


async def _problems(state_dir: Path, config: cfg.Config, check: Callable[[bytes, str], bool]) -> list:
    ledger = await Ledger.open(state_dir, config.kiosk.id, config.kiosk.currency)
    try:
        return await ledger.audit_check(check, full=True)
    finally:
        await ledger.close()


async def _record_restore(config: cfg.Config, src: Path, summary: str) -> None:
    """The restore is itself an audit entry in the journal put back: who, from which file, what."""
    ledger = await Ledger.open(config.state_dir, config.kiosk.id, config.kiosk.currency)
    try:
        # named as an installer's other journal changes are (kioskctl staff add): by, by_name, uid
        who = socket_caller(os.getuid()).audit()
        await ledger.audit_append("restore", {**who, "from": str(src), "summary": summary})
    finally:
        await ledger.close()


def _private_copy(src: Path, dest: Path) -> None:
    """Copy `src` to `dest` (mode 0600, fsynced, appearing whole)."""
    partial = dest.with_name(dest.name + ".restoring")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
        shutil.copyfileobj(inp, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, dest)
