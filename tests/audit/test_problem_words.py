"""What staff read of a journal check's problems and of an unusable kiosk key is in their language:
kioskctl audit verify, restore, keys and staff say them in zh-CN by default and in English with --lang en.
Every problem code the ledger's checks can give has words in both (kioskd.hall.journal_words)."""

from __future__ import annotations

import ast
import asyncio
import json
import re
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kioskd.cli.main import main as kioskctl
from kioskd.hall.journal_words import KEY_WORDS, PROBLEM_WORDS
from kioskd.hall.storage_words import SQLITE_WORDS, STORAGE_WORDS, storage_text
from kioskd.ledger.errors import StorageError
from kioskd.ledger.sqlite import translated
from tests.audit.test_tamper import attacker, edit_field, save_key, write_chain
from tests.daemon import ROOT


def _codes_in(folder: Path, constructor: str, position: int | None, keyword: str | None = None,
              required: bool = True) -> set[str]:
    """The codes the source under `folder` passes to `constructor` (a literal, or either side of an if);
    `required`: every call must give one."""
    codes = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == constructor):
                continue
            given = node.args[position] if position is not None and len(node.args) > position else None
            for arg in [given] if given is not None else []:
                parts = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
                codes |= {p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str)}
            assert given is not None or not required, f"{path.relative_to(ROOT)}:{node.lineno}: {constructor} without a code"
    return codes


def test_every_problem_and_key_code_has_words_in_both_languages() -> None:
    codes = _codes_in(ROOT / "kioskd" / "ledger", "AuditProblem", 2)
    assert len(codes) > 40 and not codes - set(PROBLEM_WORDS), sorted(codes - set(PROBLEM_WORDS))
    keys = _codes_in(ROOT / "kioskd" / "uplink", "KeyFileError", 1)
    assert keys == set(KEY_WORDS), keys ^ set(KEY_WORDS)
    # the journal cannot be locked, opened, migrated, read or written (one without a code fails _codes_in)
    ledger = ROOT / "kioskd" / "ledger"
    storage = _codes_in(ledger, "StorageError", 1) | _codes_in(ledger, "JournalLocked", 1)
    storage |= _codes_in(ledger, "LedgerError", 1, required=False)  # a rule broken: most say it in English
    assert len(storage) > 8 and storage == set(STORAGE_WORDS), storage ^ set(STORAGE_WORDS)
    for zh, en in [*PROBLEM_WORDS.values(), *KEY_WORDS.values(), *STORAGE_WORDS.values(), *SQLITE_WORDS.values()]:
        # the zh words hold no English but the values, identifiers and commands they quote
        bare = re.sub(r"\{\w+\}|`[^`]*`|PEM PKCS#8|Ed25519|kioskd", "", zh)
        assert not re.search(r"[A-Za-z]", bare), zh
        assert set(re.findall(r"\{(\w+)\}", zh)) <= set(re.findall(r"\{(\w+)\}", en)) | {"seq"}, (zh, en)


async def verify(state: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = await asyncio.to_thread(kioskctl, ["audit", "verify", "--state", str(state), *extra])
    return code, capsys.readouterr().out


async def test_audit_verify_names_the_problem_in_the_staffs_language(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    key = Ed25519PrivateKey.generate()
    save_key(tmp_path, key)
    await write_chain(tmp_path, key)
    conn = attacker(tmp_path)
    edit_field(conn)  # entry 3 rewritten, its guards dropped
    conn.close()
    code, out = await verify(tmp_path, capsys)
    assert code == 1 and out.splitlines() == ["审计链被改动，第一个有问题的条目: 3: 第 3 条记录与其哈希不符（被修改）",
                                              "  账本结构被改动：缺少触发器 audit_no_delete",
                                              "  账本结构被改动：缺少触发器 audit_no_update"], out
    code, out = await verify(tmp_path, capsys, "--lang", "en")
    assert code == 1 and out.startswith("audit chain altered; first bad entry: 3: entry 3 does not match its hash (edited)")
    assert "  journal structure altered: trigger audit_no_delete is missing" in out.splitlines(), out
    code, out = await verify(tmp_path, capsys, "--json")
    first = json.loads(out)["problems"][0]  # a script reads the code, a person the words
    assert (first["seq"], first["code"], first["values"], first["words"]) == (3, "entry_edited", {"seq": 3},
                                                                             "第 3 条记录与其哈希不符（被修改）")


def test_an_unusable_key_is_said_in_the_staffs_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "kiosk.key"
    assert kioskctl(["keys", "show", "--key", str(key)]) == 1
    assert capsys.readouterr().err == (f"kioskctl: 密钥文件 {key} 不存在；请用 `kioskctl keys init --key {key}` "
                                       "创建，并在后台登记其公钥\n")
    assert kioskctl(["keys", "init", "--key", str(key)]) == 0
    capsys.readouterr()
    key.chmod(0o644)
    assert kioskctl(["keys", "show", "--key", str(key)]) == 1
    assert capsys.readouterr().err == (f"kioskctl: 密钥文件 {key} 的权限为 0644，组或其他用户可以读取；"
                                       f"请运行 `chmod 600 {key}`\n")
    assert kioskctl(["keys", "show", "--key", str(key), "--lang", "en"]) == 1
    assert capsys.readouterr().err == (f"kioskctl: key file {key} has mode 0644: group/others may access it; "
                                       f"run `chmod 600 {key}`\n")
    key.chmod(0o600)
    key.write_text("not a key\n", encoding="utf-8")
    assert kioskctl(["staff", "list", "--state", str(tmp_path), "--kiosk", "K-1"]) != 0
    assert capsys.readouterr().err == (f"kioskctl: 无法读取终端密钥（员工密码以它加密保存）: 密钥文件 {key} "
                                       "不是未加密的 PEM PKCS#8 密钥\n")
    assert kioskctl(["audit", "verify", "--key", str(tmp_path / "nowhere.key"), "--state", str(tmp_path)]) == 2
    assert f"无法读取终端密钥 ({tmp_path / 'nowhere.key'}: 文件或目录不存在)" in capsys.readouterr().err
    assert kioskctl(["receipt", "verify", "K1.x", "--key", str(key), "--state", str(tmp_path)]) == 2
    assert f"无法读取公钥 ({key}: 不是可用的 Ed25519 密钥)" in capsys.readouterr().err


def test_a_full_disk_and_a_read_only_journal_are_said_in_the_staffs_language(tmp_path: Path) -> None:
    """SQLite's own refusals, turned into StorageError by the ledger's translated(); no kioskctl test can fill
    a disk or make one read-only without root."""
    path = tmp_path / "journal.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA max_page_count = 2")  # SQLite says of a page limit what it says of a full disk
    with pytest.raises(StorageError) as full:
        translated(path, conn.execute, "INSERT INTO t SELECT zeroblob(100000)")
    conn.close()
    assert storage_text(full.value, "zh-CN") == f"磁盘已满，无法写入账本 {path}"
    assert storage_text(full.value, "en") == f"the disk is full: the journal {path} cannot be written"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(StorageError) as read_only:
        translated(path, conn.execute, "INSERT INTO t VALUES (1)")
    conn.close()
    assert storage_text(read_only.value, "zh-CN") == f"账本 {path} 无法写入：文件系统只读或没有写权限"
    assert str(read_only.value) == f"journal {path}: attempt to write a readonly database"  # what the log keeps
