"""`kioskd-backend serve` answers a kiosk; `report` shows its payments, totals and alerts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kioskd.uplink.client import PAYMENTS_PATH, BackendClient
from kioskd.uplink.keys import public_b64url
from refbackend.__main__ import main
from refbackend.store import open_store
from tests.uplink.support import KIOSK, ZHANG, payment_payload

ROOT = Path(__file__).resolve().parents[2]


async def test_serve_then_report(tmp_path: Path, capsys) -> None:
    key = Ed25519PrivateKey.generate()
    db = tmp_path / "backend.sqlite3"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "refbackend", "serve", "--listen", "127.0.0.1:0", "--db", str(db),
        "--enroll", f"{KIOSK}={public_b64url(key)}",
        stdout=asyncio.subprocess.PIPE, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        async with asyncio.timeout(20):
            line = (await proc.stdout.readline()).decode()
        assert line.startswith("listening on http://127.0.0.1:")
        client = BackendClient(line.split()[-1], KIOSK, key)
        try:
            assert (await client.lookup(ZHANG)).due == 12350
            payload = payment_payload(txn=str(uuid.uuid4()), amount=10000)
            assert (await client.post_signed(PAYMENTS_PATH, client.sign(payload))).status == 200
        finally:
            await client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            assert await proc.wait() == 0
    assert main(["report", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert payload["txn"] in out and "B-000001" in out
    assert f"{KIOSK}  2026-11-23      1 payments        10000 fen" in out


def test_serve_refuses_a_bad_enrolment(tmp_path: Path, capsys) -> None:
    assert main(["serve", "--db", str(tmp_path / "b.db"), "--enroll", "K-1=notakey"]) == 78
    assert "an Ed25519 public key is 32 bytes" in capsys.readouterr().err


def test_kiosk_add_disable_list_and_exports_from_the_command_line(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "fleet.sqlite3")
    key = public_b64url(Ed25519PrivateKey.generate())
    assert main(["kiosk", "list", "--db", db]) == 1  # no such store yet
    open_store(tmp_path / "fleet.sqlite3").close()
    assert main(["kiosk", "add", "K-7", "--hall", "H-1", "--key", key, "--db", db]) == 0
    assert main(["kiosk", "add", "K-8", "--hall", "bad hall", "--key", key, "--db", db]) == 2
    assert main(["kiosk", "disable", "K-7", "--db", db]) == 0
    assert main(["kiosk", "disable", "K-9", "--db", db]) == 2
    capsys.readouterr()
    assert main(["kiosk", "list", "--db", db]) == 0
    assert capsys.readouterr().out.split()[:3] == ["K-7", "H-1", "disabled"]
    assert main(["export", "payments", "--day", "2026-11-23", "--db", db]) == 0
    assert capsys.readouterr().out.startswith("day,hall,kiosk,seq,txn,account,amount")
    (tmp_path / "bad.toml").write_text("[fleet]\nsilent_after = -1\n")
    assert main(["collection", "--config", str(tmp_path / "bad.toml"), "--db", db]) == 78
    assert "fleet.silent_after" in capsys.readouterr().err
