"""`kioskctl keys init/show` and `receipt verify` with --json: what a script reads, same exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kioskd.cli.main import main as kioskctl
from kioskd.uplink.keys import load_key, public_b64url
from tests.receipts.test_cli import PROOF, PUBKEY, TXN


def test_keys_init_and_show_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "kiosk.key"
    assert kioskctl(["keys", "init", "--key", str(key), "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    public = public_b64url(load_key(key))
    assert created == {"ok": True, "created": str(key), "public_key": public,
                       "jwk": {"kty": "OKP", "crv": "Ed25519", "x": public}}

    assert kioskctl(["keys", "show", "--key", str(key), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == {"ok": True, "key": str(key), "public_key": public, "jwk": created["jwk"]}


def test_keys_init_json_refuses_to_overwrite_as_the_text_form_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "kiosk.key"
    assert kioskctl(["keys", "init", "--key", str(key)]) == 0
    before = key.read_bytes()
    capsys.readouterr()
    assert kioskctl(["keys", "init", "--key", str(key), "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("kioskctl: ") and len(err.splitlines()) == 1
    assert key.read_bytes() == before
    assert kioskctl(["keys", "show", "--key", str(tmp_path / "missing.key"), "--json"]) == 1
    assert capsys.readouterr().out == ""


def test_receipt_verify_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert kioskctl(["receipt", "verify", PROOF, "--pubkey", PUBKEY, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "ok": True, "kiosk": "K-0042", "txn": TXN, "seq": 17, "amount": 15000, "at": "2024-05-01T10:30:05Z"}

    tampered = PROOF.replace(".15000.", ".95000.")
    assert kioskctl(["receipt", "verify", tampered, "--pubkey", PUBKEY, "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["ok"] is False and "signature does not match" in verdict["reason"]
