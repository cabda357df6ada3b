"""What staff read of a journal check's problems and of an unusable kiosk key is in their language:
kioskctl audit verify, restore, keys and staff say them in zh-CN by default and in English with --lang en.
Every problem code the ledger's checks can give has words in both (kioskd.hall.journal_words)."""

from __future__ import annotations

import ast
import asyncio
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kioskd.cli.main import main as kioskctl
from kioskd.hall.journal_words import KEY_WORDS, PROBLEM_WORDS
from tests.audit.test_tamper import attacker, edit_field, save_key, write_chain
from tests.daemon import ROOT


def _codes_in(folder: Path, constructor: str, position: int | None, keyword: str | None = None) -> set[str]:
    """The codes the source under `folder` passes to `constructor` (a literal, or either side of an if)."""
    codes = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == constructor):
                continue
            given = node.args[position] if position is not None and len(node.args) > position else None
            for arg in [given] if given is not None else []:
                parts = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
                codes |= {p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str)}
            assert given is not None, f"{path.relative_to(ROOT)}:{node.lineno}: {constructor} without a code"
    return codes


def test_every_problem_and_key_code_has_words_in_both_languages() -> None:
    codes = _codes_in(ROOT / "kioskd" / "ledger", "AuditProblem", 2)
    assert len(codes) > 40 and not codes - set(PROBLEM_WORDS), sorted(codes - set(PROBLEM_WORDS))
    keys = _codes_in(ROOT / "kioskd" / "uplink", "KeyFileError", 1)
    assert keys == set(KEY_WORDS), keys ^ set(KEY_WORDS)
    for zh, en in [*PROBLEM_WORDS.values(), *KEY_WORDS.values()]:
        # the zh words hold no English but the values, identifiers and commands they quote
        bare = re.sub(r"\{\w+\}|`[^`]*`|PEM PKCS#8|Ed25519", "", zh)
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
