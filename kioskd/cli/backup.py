"""`kioskctl backup` and `kioskctl restore`: a consistent copy of the journal, and putting one back."""

from __future__ import annotations

import argparse
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
from kioskd.customer.receipts.money import format_money
from kioskd.hall.journal_words import key_text, os_reason, problems_line
from kioskd.hall.storage_words import storage_text
from kioskd.ledger.errors import LedgerError, StorageError
from kioskd.ledger.lock import JournalLock
from kioskd.uplink.errors import KeyFileError

# The journal (SQLite), the staff table and the key code (cryptography) are imported in the
# functions that use them, not with kioskctl's parser: the commands that only ask the daemon do not load them.

JOURNAL = "journal.sqlite3"

_TEXT = {  # what backup and restore say, in the staff's language (--json keeps the English summary)
    "zh-CN": {"no_config": "请用 --config 配置文件 指定终端的配置", "summary": "{count} 笔缴费（最后流水号 {last}），共 {amount}",
              "written": "备份已写入 {dest}：{summary}", "restored": "已恢复 {src}（{summary}）",
              "kept": "；原账本保留为 {aside}", "held": "{err}；请先停止 kioskd",
              "unusable": "{src} 不是可用的账本：{err}", "unreadable": "无法读取备份文件 {src}：{why}", "this_file": "此文件",
              "unstaged": "无法把备份写入 {state}：{why}；原账本未改动",
              "unchecked": "{src} 未通过完整性检查：{problems}"},
    "en": {"no_config": "name the kiosk's config with --config FILE", "summary": "{count} payments (last seq {last}), {amount}",
           "written": "backup written to {dest}: {summary}", "restored": "restored {src} ({summary})",
           "kept": "; the previous journal is kept as {aside}", "held": "{err}; stop kioskd first",
           "unusable": "{src} is not a usable journal: {err}",
           "unreadable": "cannot read the backup file {src}: {why}", "this_file": "the file",
           "unstaged": "cannot write the backup into {state}: {why}; the journal is unchanged",
           "unchecked": "{src} fails the integrity check: {problems}"},
}


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `backup DEST` and `restore SRC`."""
    backup = sub.add_parser("backup", help="write a consistent copy of the journal (safe while running)")
    backup.add_argument("dest", type=Path, help="file to write")
    backup.set_defaults(func=run_backup)
    restore = sub.add_parser("restore", help="put a backup in place of the journal (kioskd stopped)")
    restore.add_argument("src", type=Path, help="a file written by kioskctl backup")
    restore.set_defaults(func=run_restore)
    for parser in (backup, restore):
        parser.add_argument("--lang", choices=tuple(_TEXT), default="zh-CN", help="language of the output")
        parser.add_argument("--json", action="store_true",
                            help="print what was done as JSON (a refusal: exit status and one line on stderr)")


def _config(args: argparse.Namespace) -> cfg.Config | None:
    """The kiosk's config (its id and currency name the journal), with --state applied."""
    target = resolve(args)
    if target.loaded is None:
        text = _TEXT[args.lang]
        print(f"kioskctl: {target.describe(args.lang)}: {text['no_config']}", file=sys.stderr)
        return None
    config = target.loaded
    storage = dataclasses.replace(config.storage, path=str(target.state))
    return dataclasses.replace(config, storage=storage)


async def _summary(state_dir: Path, kiosk: str, currency: str) -> Summary:
    from kioskd.ledger import Ledger

    ledger = await Ledger.open(state_dir, kiosk, currency)
    try:
        paid = [t for t in await ledger.transactions() if t.seq is not None]
    finally:
        await ledger.close()
    last = max((t.seq for t in paid if t.seq is not None), default=0)
    return Summary(len(paid), last, sum(t.amount for t in paid), currency)


@dataclasses.dataclass(frozen=True)
class Summary:
    """What a journal holds: its credited payments, the last serial number, their sum in fen."""

    count: int
    last: int
    fen: int
    currency: str

    def record(self) -> str:
        """The summary as --json and the audit entry keep it (English, fen)."""
        return f"{self.count} payments (last seq {self.last}), {self.fen} fen"

    def words(self, lang: str) -> str:
        """The summary for a person, in `lang`."""
        return _TEXT[lang]["summary"].format(count=self.count, last=self.last,
                                             amount=format_money(self.fen, self.currency, lang))


def run_backup(args: argparse.Namespace) -> int:
    """Copy the journal with SQLite's backup API; the copy opens on its own."""
    import asyncio

    config = _config(args)
    if config is None:
        return cfg.EXIT_CONFIG

    async def backup() -> Summary:
        from kioskd.ledger import Ledger

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
        print(f"kioskctl backup: {storage_text(err, args.lang)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"ok": True, "written": str(args.dest), "summary": summary.record()}, ensure_ascii=False))
    else:
        print(_TEXT[args.lang]["written"].format(dest=args.dest, summary=summary.words(args.lang)))
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
        print(f"kioskctl restore: {_TEXT[args.lang]['held'].format(err=storage_text(err, args.lang))}", file=sys.stderr)
        return 1
    try:
        return _restore(args.src, config, args.lang, args.json)
    finally:
        lock.release()


def _restore(src: Path, config: cfg.Config, lang: str, as_json: bool = False) -> int:
    import asyncio

    from kioskd.uplink.keys import load_key, signature_checker

    text = _TEXT[lang]
    with tempfile.TemporaryDirectory() as tmp:
        try:
            shutil.copyfile(src, Path(tmp) / JOURNAL)
        except OSError as err:
            why = os_reason(err.errno, err.strerror or str(err), lang)
            print(f"kioskctl restore: {text['unreadable'].format(src=src, why=why)}", file=sys.stderr)
            return 1
        try:
            summary = asyncio.run(_summary(Path(tmp), config.kiosk.id, config.kiosk.currency))
        except LedgerError as err:
            said = storage_text(err, lang).replace(str(Path(tmp) / JOURNAL), text["this_file"])  # named before
            print(f"kioskctl restore: {text['unusable'].format(src=src, err=said)}", file=sys.stderr)
            return 1
        try:  # the backup is checked against the signatures of this kiosk's key
            check = signature_checker(load_key(config.key_path).public_key())
        except KeyFileError as err:
            print(f"kioskctl restore: {key_text(err, lang)}", file=sys.stderr)
            return cfg.EXIT_CONFIG
        problems = asyncio.run(_problems(Path(tmp), config, check))
    if problems:
        print(f"kioskctl restore: {text['unchecked'].format(src=src, problems=problems_line(problems, lang))}",
              file=sys.stderr)
        return 1
    target = config.state_dir / JOURNAL
    try:  # the copy is written beside the journal before anything moves: a full disk leaves the journal be
        staged = _private_copy(src, target)
    except OSError as err:
        why = os_reason(err.errno, err.strerror or str(err), lang)
        print(f"kioskctl restore: {text['unstaged'].format(state=config.state_dir, why=why)}", file=sys.stderr)
        return 1
    aside = target.with_name(f"{JOURNAL}.before-restore-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
    kept = []
    for suffix in ("", "-wal", "-shm"):
        old = Path(str(target) + suffix)
        if old.exists():
            os.replace(old, Path(str(aside) + suffix))
            kept.append(suffix)
    os.replace(staged, target)
    fsync_dir(target.parent)  # else a power cut could bring the old journal back
    asyncio.run(_record_restore(config, src, summary.record()))
    if as_json:
        print(json.dumps({"ok": True, "restored": str(src), "summary": summary.record(),
                          "kept": str(aside) if "" in kept else None}, ensure_ascii=False))
        return 0
    where = text["kept"].format(aside=aside) if "" in kept else ""
    print(text["restored"].format(src=src, summary=summary.words(lang)) + where)
    return 0


async def _problems(state_dir: Path, config: cfg.Config, check: Callable[[bytes, str], bool]) -> list:
    from kioskd.ledger import Ledger

    ledger = await Ledger.open(state_dir, config.kiosk.id, config.kiosk.currency)
    try:
        return await ledger.audit_check(check, full=True)
    finally:
        await ledger.close()


async def _record_restore(config: cfg.Config, src: Path, summary: str) -> None:
    """The restore is itself an audit entry in the journal put back: who, from which file, what."""
    from kioskd.hall.accounts import socket_caller
    from kioskd.ledger import Ledger

    ledger = await Ledger.open(config.state_dir, config.kiosk.id, config.kiosk.currency)
    try:
        # named as an installer's other journal changes are (kioskctl staff add): by, by_name, uid
        who = socket_caller(os.getuid()).audit()
        await ledger.audit_append("restore", {**who, "from": str(src), "summary": summary})
    finally:
        await ledger.close()


def _private_copy(src: Path, dest: Path) -> Path:
    """Copy `src` beside `dest` (mode 0600, fsynced) and return the copy, for os.replace to put in place;
    a partial copy is removed."""
    partial = dest.with_name(dest.name + ".restoring")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out)
            out.flush()
            os.fsync(out.fileno())
    except OSError:
        partial.unlink(missing_ok=True)
        raise
    return partial
