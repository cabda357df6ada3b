"""The kioskctl commands that work without the daemon (backup, restore, keys, audit verify) and the line
for a kiosk not reachable speak the staff's language: zh-CN by default, en with --lang en."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kioskd.cli.main import main as kioskctl
from tests.cli.test_where import write_config

# what may stay Latin in a Chinese line: paths, option names, file and program names, key text, codes
# a public key is 43 base64url characters and may begin or end with - or _ (no \b there)
_NAMES = re.compile(r"(/[^\s：；，（）\[\]]*)|--[a-z-]+|kioskctl|kioskd|`make run`|JSON|KIOSKD_CONFIG|(?<![\w-])[A-Za-z0-9_-]{43}(?![\w-])")


def latin_words(line: str) -> list[str]:
    """The Latin words of `line` once paths, options and program names are taken out."""
    return re.findall(r"[A-Za-z]{2,}", _NAMES.sub("", line))


def said(capsys: pytest.CaptureFixture[str]) -> list[str]:
    out = capsys.readouterr()
    return (out.out + out.err).splitlines()


def test_backup_restore_keys_and_audit_speak_chinese_by_default_and_english_on_request(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state"
    state.mkdir()
    config = str(write_config(tmp_path / "k.toml", state, tmp_path / "gone.sock"))
    assert kioskctl(["keys", "init", "--config", config]) == 0
    created = said(capsys)
    assert created[0] == f"已创建 {state / 'kiosk.key'}" and created[1].startswith("公钥（在后台登记）: ")
    copy = tmp_path / "copy.sqlite3"
    assert kioskctl(["backup", str(copy), "--config", config]) == 0
    assert said(capsys) == [f"备份已写入 {copy}：0 笔缴费（最后流水号 0），共 0.00 元"]
    assert kioskctl(["audit", "verify", "--config", config]) == 0
    verified = said(capsys)
    assert verified[0].startswith("审计链完整: ") and "链头" in verified[0]
    assert kioskctl(["restore", str(copy), "--config", config]) == 0
    [restored] = said(capsys)
    assert restored.startswith(f"已恢复 {copy}（0 笔缴费（最后流水号 0），共 0.00 元）；原账本保留为 {state}/")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    assert kioskctl(["restore", str(junk), "--config", config]) == 1
    [refused] = said(capsys)
    assert refused.startswith(f"kioskctl restore: {junk} 不是可用的账本：")
    assert kioskctl(["status", "--config", config]) == 3
    [unreachable] = said(capsys)
    assert f"{tmp_path / 'gone.sock'} 处没有控制套接字" in unreachable and "已尝试" in unreachable
    for line in [*created, restored, *verified, unreachable]:
        assert not latin_words(line), line

    assert kioskctl(["backup", str(copy), "--config", config, "--lang", "en"]) == 0
    assert said(capsys) == [f"backup written to {copy}: 0 payments (last seq 0), 0.00 CNY"]
    # the copy holds the unsigned restore entry (kioskd signs it when it starts): refused, in English
    assert kioskctl(["restore", str(copy), "--config", config, "--lang", "en"]) == 1
    assert said(capsys)[0].startswith(f"kioskctl restore: {copy} fails the integrity check: ")
    assert kioskctl(["keys", "init", "--config", config, "--lang", "en"]) == 1  # never overwrites
    assert kioskctl(["status", "--config", config, "--lang", "en"]) == 3
    assert f"no control socket at {tmp_path / 'gone.sock'}: is kioskd running?" in said(capsys)[-1]
