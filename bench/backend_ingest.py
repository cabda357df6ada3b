"""Reference-backend ingest figures on one core: verified payments/s and batch verifications/s.

Run from the repository root: .venv/bin/python -m bench.backend_ingest [--payments N] [--batches N]
Prints figures; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from backend_api.jws import sign, verify  # noqa: E402
from kioskd.ledger.records import utc_now  # noqa: E402
from kioskd.uplink.batches import GENESIS, batch_digest  # noqa: E402
from kioskd.uplink.client import BATCHES_PATH, PAYMENTS_PATH, BackendClient  # noqa: E402
from refbackend import ReferenceBackend  # noqa: E402
from refbackend.rules import check_payload  # noqa: E402

KIOSK = "K-BENCH"


def payment(seq: int) -> dict:
    at = utc_now()
    return {"type": "payment", "kiosk": KIOSK, "txn": str(uuid.uuid4()), "seq": seq, "account": "0012345678",
            "amount": 15000, "currency": "CNY", "notes": [{"value": 10000, "at": at}, {"value": 5000, "at": at}],
            "started": at, "ended": at}


def batch_records(n: int) -> list[dict]:
    return [{"kind": "payment", **payment(i + 1), "status": "credited"} for i in range(n)]


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:10.1f}/s  ({count} in {seconds:.2f} s)"


async def over_http(key: Ed25519PrivateKey, payments: int, batches: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        backend = ReferenceBackend(Path(tmp) / "bench.sqlite3")
        backend.enroll(KIOSK, key.public_key())
        url = await backend.start()
        client = BackendClient(url, KIOSK, key)
        tokens = [sign(payment(i + 1), key, KIOSK) for i in range(payments)]
        start = time.perf_counter()
        for token in tokens:
            assert (await client.post_signed(PAYMENTS_PATH, token)).status == 200
        print(f"payments over HTTP, verified + credited (fsync), sequential: {rate(payments, time.perf_counter() - start)}")
        prev, chain = GENESIS, []
        for seq in range(1, batches + 1):
            token = sign({"type": "batch", "kiosk": KIOSK, "seq": seq, "prev": prev, "records": batch_records(1000),
                          "audit_head": {"seq": seq, "hash": "ab" * 32}, "ts": utc_now()}, key, KIOSK)
            chain.append(token)
            prev = batch_digest(token)
        start = time.perf_counter()
        for token in chain:
            assert (await client.post_signed(BATCHES_PATH, token)).status == 200
        print(f"1000-record batches over HTTP, verified + stored:            {rate(batches, time.perf_counter() - start)}")
        assert backend.credited_total(KIOSK) == 15000 * payments
        await client.close()
        await backend.stop()
        backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=20)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core: server, store and client
    print(f"python {sys.version.split()[0]}, cpu affinity {sorted(os.sched_getaffinity(0))}")
    key = Ed25519PrivateKey.generate()
    public = key.public_key()

    tokens = [sign(payment(i + 1), key, KIOSK) for i in range(args.payments)]
    start = time.perf_counter()
    for token in tokens:
        check_payload(verify(token, public)[1], "payment")
    print(f"payment JWS verify + schema, in process:                     {rate(args.payments, time.perf_counter() - start)}")

    big = sign({"type": "batch", "kiosk": KIOSK, "seq": 1, "prev": GENESIS, "records": batch_records(1000),
                "audit_head": {"seq": 1, "hash": "ab" * 32}, "ts": utc_now()}, key, KIOSK)
    start = time.perf_counter()
    for _ in range(args.batches * 5):
        check_payload(verify(big, public)[1], "batch")
    print(f"1000-record batch verify + schema ({len(big) // 1024} KiB), in process:  {rate(args.batches * 5, time.perf_counter() - start)}")

    asyncio.run(over_http(key, args.payments, args.batches))


if __name__ == "__main__":
    main()
