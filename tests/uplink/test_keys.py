"""The kiosk key file: mode 0600, never overwritten, unsafe modes refused; `keys` commands."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from backend_api.jws import sign, verify
from kioskd.cli.main import main as kioskctl
from kioskd.uplink.errors import KeyFileError
from kioskd.uplink.keys import init_key, load_key, public_b64url, public_jwk, public_key_from_b64url


def test_init_creates_a_0600_pkcs8_key_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.key"
    old_umask = os.umask(0)  # even a careless umask must not widen the mode
    try:
        init_key(path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        init_key(path)
    assert path.read_bytes() == before
    key = load_key(path)
    assert verify(sign({"a": 1}, key, "K"), public_key_from_b64url(public_b64url(key)))[1] == {"a": 1}


def test_load_refuses_a_group_or_world_readable_key(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.key"
    init_key(path)
    path.chmod(0o640)
    with pytest.raises(KeyFileError, match=r"mode 0640.*chmod 600"):
        load_key(path)
    with pytest.raises(KeyFileError, match="does not exist"):
        load_key(tmp_path / "missing.key")


def test_public_jwk_is_an_rfc8037_okp_key(tmp_path: Path) -> None:
    init_key(tmp_path / "k")
    key = load_key(tmp_path / "k")
    jwk = public_jwk(key)
    assert jwk == {"kty": "OKP", "crv": "Ed25519", "x": public_b64url(key)}
    assert len(public_b64url(key)) == 43  # 32 bytes, unpadded


def _run(argv: list[str]) -> int:
    return kioskctl(argv)


def test_keys_init_and_show_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "kiosk.key"
    assert _run(["keys", "init", "--key", str(path)]) == 0
    created = capsys.readouterr().out
    assert _run(["keys", "show", "--key", str(path)]) == 0
    jwk_line, raw_line = capsys.readouterr().out.splitlines()
    assert json.loads(jwk_line) == public_jwk(load_key(path))
    assert raw_line == public_b64url(load_key(path)) and raw_line in created
    assert _run(["keys", "init", "--key", str(path)]) == 1
    assert capsys.readouterr().err == f"kioskctl: 密钥文件 {path} 已存在，拒绝覆盖\n"
    assert _run(["keys", "init", "--key", str(path), "--lang", "en"]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
