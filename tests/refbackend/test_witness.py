"""The backend witnesses the kiosk's history: each batch continues from the head it saw last.

Real HTTP, real signatures, on SQLite and on PostgreSQL (the `post` and `backend` fixtures of
tests/refbackend). Audit records are built the way a kiosk builds them: sha256 of the previous
hash and the RFC 8785 form of {seq, at, kind, data}.
"""

from __future__ import annotations

import hashlib
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jcs import canonicalize
from backend_api.jws import sign
from kioskd.ledger.records import utc_now
from refbackend import ReferenceBackend
from tests.refbackend.conftest import Post
from tests.uplink.support import KIOSK

ZERO = "0" * 64


def entries(first: int, count: int, prev: str, tag: str = "a") -> list[dict]:
    """`count` chained audit records from seq `first`, the first linking to `prev`."""
    out = []
    for seq in range(first, first + count):
        entry = {"seq": seq, "at": "2026-12-01T10:00:00.000Z", "kind": "reprint", "data": {"n": seq, "tag": tag}}
        digest = hashlib.sha256(prev.encode() + canonicalize(entry)).hexdigest()
        out.append({"kind": "audit", "seq": seq, "at": entry["at"], "type": "reprint", "data": entry["data"],
                    "prev": prev, "hash": digest})
        prev = digest
    return out


def batch(key: Ed25519PrivateKey, seq: int, prev: str, records: list[dict], head: tuple[int, str] | None = None) -> str:
    if head is None:
        audits = [r for r in records if r["kind"] == "audit"]
        head = (audits[-1]["seq"], audits[-1]["hash"])
    payload = {"type": "batch", "kiosk": KIOSK, "seq": seq, "prev": prev, "records": records,
               "audit_head": {"seq": head[0], "hash": head[1]}, "ts": utc_now()}
    return sign(payload, key, KIOSK)


def digest(jws: str) -> str:
    return hashlib.sha256(jws.encode()).hexdigest()


def payment(key: Ed25519PrivateKey, txn: str, seq: int, amount: int) -> str:
    at = utc_now()
    return sign({"type": "payment", "kiosk": KIOSK, "txn": txn, "seq": seq, "account": "0012345678",
                 "amount": amount, "currency": "CNY", "notes": [{"value": amount, "at": at}],
                 "started": at, "ended": at}, key, KIOSK)


def backend_alerts(ref: ReferenceBackend) -> list[dict]:
    return [a for a in ref.store.report()["alerts"] if a["kiosk"] == KIOSK]


async def test_a_batch_must_continue_from_the_witnessed_head(post: Post, backend: ReferenceBackend,
                                                             key: Ed25519PrivateKey) -> None:
    first = entries(1, 5, ZERO)
    one = batch(key, 1, ZERO, first)
    assert await post("v1/batches", one) == (200, {"seq": 1, "status": "accepted"})
    head = first[-1]["hash"]

    skipped = entries(7, 2, "ee" * 32)  # entry 6 never reached the backend
    status, body = await post("v1/batches", batch(key, 2, digest(one), skipped))
    assert status == 409 and body["error"] == "fork" and "does not continue" in body["reason"]

    rewritten = entries(6, 2, "ff" * 32)  # a re-hashed chain: 6 links to another 5
    status, body = await post("v1/batches", batch(key, 2, digest(one), rewritten))
    assert status == 409 and "does not continue" in body["reason"]

    edited = entries(6, 2, head)
    edited[1]["data"] = {"n": 999, "tag": "a"}  # data changed, hash kept
    status, body = await post("v1/batches", batch(key, 2, digest(one), edited))
    assert status == 409 and "does not match its hash" in body["reason"]

    behind = batch(key, 2, digest(one), entries(6, 1, head), head=(3, first[2]["hash"]))
    status, body = await post("v1/batches", behind)
    assert status == 409 and "rollback" in body["reason"]

    assert any(a["code"] == "kiosk_rollback" and a["severity"] == "critical" for a in backend_alerts(backend))
    good = entries(6, 3, head)
    assert (await post("v1/batches", batch(key, 2, digest(one), good)))[0] == 200
    # a repeat of entries already witnessed (the kiosk crashed before moving its cursor) is fine
    again = batch(key, 3, digest(batch(key, 2, digest(one), good)), good[1:] + entries(9, 1, good[-1]["hash"]))
    assert (await post("v1/batches", again))[0] in (200, 409)


async def test_a_rolled_back_batch_seq_is_refused_and_alerted(post: Post, backend: ReferenceBackend,
                                                              key: Ed25519PrivateKey) -> None:
    records = entries(1, 3, ZERO)
    one = batch(key, 1, ZERO, records[:1])
    two = batch(key, 2, digest(one), records[1:2])
    three = batch(key, 3, digest(two), records[2:])
    for jws in (one, two, three):
        assert (await post("v1/batches", jws))[0] == 200
    restored = batch(key, 2, digest(one), entries(2, 1, records[0]["hash"], tag="b"))  # a kiosk put back
    status, body = await post("v1/batches", restored)
    assert status == 409 and body["error"] == "fork" and "rollback" in body["reason"]
    assert any(a["code"] == "kiosk_rollback" for a in backend_alerts(backend))


async def test_a_payment_seq_is_never_credited_twice(post: Post, backend: ReferenceBackend,
                                                     key: Ed25519PrivateKey) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert (await post("v1/payments", payment(key, first, 1, 10000)))[0] == 200
    status, body = await post("v1/payments", payment(key, second, 1, 500))  # a restored kiosk reuses seq 1
    assert status == 409 and body["error"] == "conflict" and "seq 1" in body["reason"]
    assert backend.credits(KIOSK) == {first: 10000}
    assert any(a["code"] == "kiosk_rollback" for a in backend_alerts(backend))
