"""`receipt verify` as staff run it: what they read and the exit status."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from backend_api.receipt_proof import make_proof, receipt_link
from kioskd.cli.main import main as kioskctl
from tests.receipts.sample import KEY, OTHER_KEY, PAID_AT, TXN

PROOF = make_proof(KEY, kiosk="K-0042", txn=TXN, seq=17, amount=15000, at=PAID_AT)
PUBKEY = base64.urlsafe_b64encode(
    KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
).rstrip(b"=").decode()


def run(*argv: str) -> int:
    return kioskctl(list(argv))


def test_valid_proof_prints_the_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("receipt", "verify", PROOF, "--pubkey", PUBKEY, "--lang", "en") == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "receipt signature is valid",
        "kiosk: K-0042",
        f"transaction: {TXN}",
        "serial no.: 17",
        "amount: 150.00 (15000 fen)",
        "time (UTC): 2024-05-01T10:30:05Z",
    ]


def test_default_output_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("receipt", "verify", PROOF, "--pubkey", PUBKEY) == 0
    out = capsys.readouterr().out
    assert out.startswith("凭条签名有效\n")
    assert "金额: 150.00 (15000 分)" in out


def test_tampered_amount_exits_1_with_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    tampered = PROOF.replace(".15000.", ".95000.")
    assert run("receipt", "verify", tampered, "--pubkey", PUBKEY, "--lang", "en") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "receipt proof is NOT valid" in captured.err


@pytest.mark.parametrize("kind", ["private", "public"])
def test_key_from_pem_file(tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "kiosk.pem"
    if kind == "private":
        pem = KEY.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    else:
        pem = KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    path.write_bytes(pem)
    assert run("receipt", "verify", PROOF, "--key", str(path), "--lang", "en") == 0
    assert "receipt signature is valid" in capsys.readouterr().out


def test_wrong_kiosk_key_file_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "other.pem"
    path.write_bytes(
        OTHER_KEY.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    assert run("receipt", "verify", PROOF, "--key", str(path)) == 1


def test_unreadable_key_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("receipt", "verify", PROOF, "--key", str(tmp_path / "missing.pem"), "--lang", "en") == 2
    assert "cannot read the public key" in capsys.readouterr().err


def test_the_receipt_url_from_the_qr_code_verifies_too(capsys: pytest.CaptureFixture[str]) -> None:
    url = receipt_link("https://billing.example/r/", PROOF)
    assert url.startswith("https://billing.example/r/K1.K-0042.")
    assert run("receipt", "verify", url, "--pubkey", PUBKEY, "--lang", "en") == 0
    assert "serial no.: 17" in capsys.readouterr().out
    tampered = url.replace(".15000.", ".15001.")
    assert run("receipt", "verify", tampered, "--pubkey", PUBKEY) == 1
