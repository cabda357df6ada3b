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
