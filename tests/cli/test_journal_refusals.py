"""When kioskctl backup, restore or audit verify cannot lock, open, migrate or read the journal (the running
kioskd holds it, the file is missing or is not a journal, another kiosk's, newer than this kioskd, the
backup fails its signed chain) staff read why in their language: zh-CN by default, en with --lang en."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from kioskd.cli.main import main as kioskctl
from kioskd.ledger import Ledger
from kioskd.ledger.lock import JournalLock
from tests.cli.test_offline_words import latin_words, said
from tests.cli.test_where import write_config


def backed_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str, Path]:
    """A state folder with a key and a journal, and a backup of it: (state, config, the backup)."""
    state = tmp_path / "state"
    state.mkdir()
    config = str(write_config(tmp_path / "k.toml", state, tmp_path / "gone.sock"))
    assert kioskctl(["keys", "init", "--config", config]) == 0
    copy = tmp_path / "copy.sqlite3"
    assert kioskctl(["backup", str(copy), "--config", config]) == 0
    said(capsys)
    return state, config, copy


def refused(capsys: pytest.CaptureFixture[str], *args: str, ids: tuple[str, ...] = ()) -> tuple[str, str]:
    """The one line a refused command says, in zh-CN and then with --lang en; the zh line holds no
    English but the command, paths, options and the kiosk `ids` it quotes."""
    lines = []
    for lang in ([], ["--lang", "en"]):
        assert kioskctl([*args, *lang]) != 0
        [line] = said(capsys)
        lines.append(line)
    words = lines[0].removeprefix(f"kioskctl {args[0]}: ")
    for quoted in ids:
        words = words.replace(quoted, "")
    assert latin_words(words) == [], lines[0]
    return lines[0], lines[1]


def test_restore_and_backup_refusals_are_said_in_the_staffs_language(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, config, copy = backed_up(tmp_path, capsys)

    with JournalLock(state):  # the lock the running kioskd holds for its whole life
        zh, en = refused(capsys, "restore", str(copy), "--config", config)
    lock = state / "journal.lock"
    assert zh == (f"kioskctl restore: 账本正被占用（锁文件 {lock}）：kioskd 正在此状态目录上运行，"
                  "或另一个恢复正在进行；请先停止 kioskd")
    assert en == (f"kioskctl restore: journal lock {lock} is held: kioskd is running on this state directory, "
                  "or a restore is under way; stop kioskd first")

    gone = tmp_path / "gone.sqlite3"
    assert refused(capsys, "restore", str(gone), "--config", config) == (
        f"kioskctl restore: 无法读取备份文件 {gone}：文件或目录不存在",
        f"kioskctl restore: cannot read the backup file {gone}: No such file or directory")

    junk = tmp_path / "notes.txt"
    junk.write_text("not a journal\n" * 500, encoding="utf-8")
    assert refused(capsys, "restore", str(junk), "--config", config) == (
        f"kioskctl restore: {junk} 不是可用的账本：此文件 不是 kioskd 账本（不是数据库文件）",
        f"kioskctl restore: {junk} is not a usable journal: the file is not a kioskd journal (not an SQLite database)")

    other = tmp_path / "other"
    asyncio.run(_journal_of(other, "K-OTHER"))
    theirs = other / "journal.sqlite3"
    zh, en = refused(capsys, "restore", str(theirs), "--config", config, ids=("K-OTHER", "K-SIM-01"))
    assert zh.endswith("不是可用的账本：账本属于终端 K-OTHER，而配置的终端是 K-SIM-01"), zh
    assert en.endswith("is not a usable journal: the journal belongs to kiosk K-OTHER, the config names kiosk K-SIM-01")

    nowhere = tmp_path / "no-such-dir" / "copy.sqlite3"
    assert refused(capsys, "backup", str(nowhere), "--config", config) == (
        f"kioskctl backup: 无法写入备份 {nowhere}：文件或目录不存在",
        f"kioskctl backup: cannot write the backup {nowhere}: No such file or directory")

    # the restore wrote an unsigned entry (kioskd signs it when it starts): its backup fails the chain
    assert kioskctl(["restore", str(copy), "--config", config]) == 0
    assert kioskctl(["backup", str(copy), "--config", config]) == 0
    said(capsys)
    zh, en = refused(capsys, "restore", str(copy), "--config", config)
    assert zh.startswith(f"kioskctl restore: {copy} 未通过完整性检查：审计链被改动，第一个有问题的条目 "), zh
    assert en.startswith(f"kioskctl restore: {copy} fails the integrity check: audit chain altered"), en


def test_a_journal_newer_than_this_kioskd_is_said_in_the_staffs_language(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, config, _ = backed_up(tmp_path, capsys)
    with sqlite3.connect(state / "journal.sqlite3") as conn:  # as a later kioskd would leave it
        latest = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA user_version = {latest + 1}")
    for command in (["audit", "verify"], ["backup", str(tmp_path / "again.sqlite3")]):
        zh, en = refused(capsys, *command, "--config", config)
        assert zh.endswith(f"账本版本 {latest + 1} 比此 kioskd 支持的版本 {latest} 新："
                           "请安装更新的 kioskd，或换用本版本写出的备份"), zh
        assert en.endswith(f"journal schema version {latest + 1} is newer than this kioskd ({latest}): "
                           "install a newer kioskd or use a backup this version wrote"), en
    assert not (tmp_path / "again.sqlite3").exists()


async def _journal_of(state: Path, kiosk: str) -> None:
    ledger = await Ledger.open(state, kiosk)
    await ledger.close()


def test_a_backup_that_cannot_be_written_into_place_leaves_the_journal_be(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, config, copy = backed_up(tmp_path, capsys)
    journal = (state / "journal.sqlite3").read_bytes()
    (state / "journal.sqlite3.restoring").mkdir()  # where the copy is written first cannot take it
    assert refused(capsys, "restore", str(copy), "--config", config) == (
        f"kioskctl restore: 无法把备份写入 {state}：这是一个目录；原账本未改动",
        f"kioskctl restore: cannot write the backup into {state}: Is a directory; the journal is unchanged")
    assert (state / "journal.sqlite3").read_bytes() == journal  # nothing was moved aside
    assert list(state.glob("journal.sqlite3.before-restore-*")) == []
