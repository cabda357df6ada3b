"""Batch checks: chain order, repeats, gap, fork (other batch, wrong prev, rewound audit head), size."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jws import sign
from kioskd.ledger.records import utc_now
from tests.refbackend.test_witness import entries
from tests.uplink.support import KIOSK

ZERO = "0" * 64


def batch(key: Ed25519PrivateKey, seq: int, prev: str, n: int = 1, head: tuple[int, str] | None = None,
          first: int = 1, after: str = ZERO) -> str:
    """Batch `seq` carrying `n` real audit entries from `first` (linked to `after`); head: the last."""
    records = [{"kind": "alert", "outbox_id": i} for i in range(n)] if first == 0 else entries(first, n, after)
    last = (records[-1]["seq"], records[-1]["hash"]) if first else (0, ZERO)
    head = head or last
    payload = {"type": "batch", "kiosk": KIOSK, "seq": seq, "prev": prev, "records": records,
               "audit_head": {"seq": head[0], "hash": head[1]}, "ts": utc_now()}
    return sign(payload, key, KIOSK)


def digest(jws: str) -> str:
    return hashlib.sha256(jws.encode()).hexdigest()


async def test_chain_repeat_gap_and_fork(post, key: Ed25519PrivateKey) -> None:
    one = batch(key, 1, ZERO)
    assert await post("v1/batches", one) == (200, {"seq": 1, "status": "accepted"})
    assert await post("v1/batches", one) == (200, {"seq": 1, "status": "accepted"})
    assert await post("v1/batches", batch(key, 3, digest(one))) == (409, {"error": "gap", "expected": 2})
    assert (await post("v1/batches", batch(key, 1, ZERO, n=2)))[1]["error"] == "fork"
    assert (await post("v1/batches", batch(key, 2, ZERO)))[1]["error"] == "fork"  # prev does not match
    head = entries(1, 1, ZERO)[0]["hash"]
    two = batch(key, 2, digest(one), n=8, first=2, after=head)
    assert await post("v1/batches", two) == (200, {"seq": 2, "status": "accepted"})


async def test_rewound_or_rewritten_audit_head_is_a_fork(post, key: Ed25519PrivateKey) -> None:
    chain = entries(1, 10, ZERO)
    one = batch(key, 1, ZERO, n=10)
    assert (await post("v1/batches", one))[0] == 200
    status, body = await post("v1/batches", batch(key, 2, digest(one), n=0, first=0, head=(9, chain[8]["hash"])))
    assert (status, body["error"]) == (409, "fork") and "rollback" in body["reason"]
    status, body = await post("v1/batches", batch(key, 2, digest(one), n=0, first=0, head=(10, "dd" * 32)))
    assert (status, body["error"]) == (409, "fork")
    same = batch(key, 2, digest(one), n=0, first=0, head=(10, chain[9]["hash"]))  # only alerts: head stays
    assert (await post("v1/batches", same))[0] == 200


async def test_more_than_1000_records_is_bad_request(post, key: Ed25519PrivateKey) -> None:
    status, answer = await post("v1/batches", batch(key, 1, ZERO, n=1001))
    assert status == 400 and "at most 1000" in answer["detail"]
    assert (await post("v1/batches", batch(key, 1, ZERO, n=1000)))[0] == 200


async def test_a_malformed_rating_record_is_refused_and_a_good_one_stored(post, key: Ed25519PrivateKey) -> None:
    txn = "3f2b1c4e-0000-4000-8000-000000000001"
    good = {"kind": "rating", "id": 1, "txn": txn, "seq": 4, "rating": "fair", "at": utc_now()}
    for bad, why in [({**good, "rating": "5 stars"}, "rating"), ({**good, "txn": "x"}, "txn"),
                     ({**good, "seq": 0}, "seq")]:
        payload = {"type": "batch", "kiosk": KIOSK, "seq": 1, "prev": ZERO, "records": [bad],
                   "audit_head": {"seq": 0, "hash": ZERO}, "ts": utc_now()}
        status, answer = await post("v1/batches", sign(payload, key, KIOSK))
        assert status == 400 and why in answer["detail"]
    # no audit entry in it: the audit head stays where it was (nothing witnessed yet)
    payload = {"type": "batch", "kiosk": KIOSK, "seq": 1, "prev": ZERO, "records": [good],
               "audit_head": {"seq": 0, "hash": ZERO}, "ts": utc_now()}
    assert (await post("v1/batches", sign(payload, key, KIOSK)))[0] == 200
