"""Batches: chained, <= 1,000 records, accepted by the backend; gap resent, fork and 400 kept and alerted."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jws import b64url, b64url_decode, verify
from kioskd.uplink.batches import GENESIS, BatchBuilder, batch_digest
from kioskd.uplink.client import BackendClient
from kioskd.uplink.outbox import OutboxSender
from refbackend import ReferenceBackend
from refbackend.intake import MAX_BODY
from refbackend.witness import record_hash
from tests.refbackend.test_witness import entries
from tests.uplink.fake_outbox import FakeOutbox
from tests.uplink.support import KIOSK

START = (0, GENESIS)  # nothing batched yet


def records(n: int, start: int = 0, tag: str = "a") -> list[dict]:
    """`n` real chained audit records after entry `start` (of the same chain)."""
    return entries(1, start + n, GENESIS, tag)[start:]


def head_of(batched: list[dict]) -> tuple[int, str]:
    return batched[-1]["seq"], batched[-1]["hash"]


def setup(client: BackendClient, flagged: list, accepted: list | None = None
          ) -> tuple[FakeOutbox, BatchBuilder, OutboxSender]:
    outbox = FakeOutbox()
    seqs = [] if accepted is None else accepted
    builder = BatchBuilder(outbox, client, on_flagged=lambda *a: flagged.append(a), on_accepted=seqs.append)
    sender = OutboxSender(outbox, client, batch_handler=builder.handle_conflict, first_backoff=0.01,
                          on_flagged=lambda *a: flagged.append(a), on_batch_accepted=seqs.append)
    return outbox, builder, sender


async def send_all(outbox: FakeOutbox, sender: OutboxSender) -> list[str]:
    verdicts = []
    while (item := await outbox.outbox_next("batch")) is not None and len(verdicts) < 10:
        verdicts.append(await sender.send(item))
    return verdicts


async def test_records_split_into_chained_batches_the_backend_accepts(
    client: BackendClient, backend: ReferenceBackend, key, flagged: list
) -> None:
    outbox, builder, sender = setup(client, flagged)
    assert await builder.add(records(2500), START) == [1, 2, 3]
    bodies = [i.body for i in outbox.items]
    payloads = [verify(b, key.public_key())[1] for b in bodies]
    assert [len(p["records"]) for p in payloads] == [1000, 1000, 500]
    assert [p["prev"] for p in payloads] == [GENESIS, batch_digest(bodies[0]), batch_digest(bodies[1])]
    assert [p["audit_head"]["seq"] for p in payloads] == [1000, 2000, 2500]  # each batch's last entry
    last = records(1, 2500)
    assert await builder.add(last, head_of(records(2500))) == [4]
    assert await send_all(outbox, sender) == ["done"] * 4
    heads = backend.store.report()["audit_heads"]
    assert heads == [{"kiosk": "K-0001", "batch_seq": 4, "audit_seq": 2501, "audit_hash": last[0]["hash"]}]
    # a repeat of an accepted batch is accepted again, not a fork
    assert (await client.post_signed("v1/batches", bodies[0])).body == {"seq": 1, "status": "accepted"}
    assert flagged == []


async def test_gap_resends_from_expected(client: BackendClient, backend: ReferenceBackend, flagged: list) -> None:
    outbox, builder, sender = setup(client, flagged)
    await builder.add(records(3), START)
    await builder.add(records(2, 3), head_of(records(3)))
    await outbox.outbox_done(1, "pretend accepted")  # the backend never stored batch 1
    assert await send_all(outbox, sender) == ["done"]
    assert backend.hits["/v1/batches"] == 3  # batch 2 (409 gap), then 1 and 2 again
    assert backend.store.report()["audit_heads"][0]["batch_seq"] == 2


async def test_fork_is_kept_and_alerted_once(client: BackendClient, backend: ReferenceBackend, flagged: list) -> None:
    first, builder, sender = setup(client, flagged)
    await builder.add(records(1), START)
    assert await send_all(first, sender) == ["done"]
    rewritten, builder2, sender2 = setup(client, flagged)  # a kiosk that lost its history
    await builder2.add(records(1, tag="b"), START)
    item = await rewritten.outbox_next("batch")
    assert await sender2.send(item) == "retry"
    assert await sender2.send(await rewritten.outbox_next("batch")) == "retry"
    assert flagged == [("batch", "1", "fork: another batch 1 was accepted")]
    kept = await rewritten.outbox_next("batch")
    assert kept.body == item.body and kept.tries == 2


async def test_altered_batch_is_refused(client: BackendClient, flagged: list) -> None:
    outbox, builder, _ = setup(client, flagged)
    await builder.add(records(2), START)
    head, body, sig = outbox.items[0].body.split(".")
    payload = json.loads(b64url_decode(body))
    payload["records"].pop()
    answer = await client.post_signed("v1/batches", f"{head}.{b64url(json.dumps(payload).encode())}.{sig}")
    assert (answer.status, answer.error) == (401, "bad_signature")


async def test_a_batch_stays_under_the_backends_body_limit(
    backend: ReferenceBackend, key: Ed25519PrivateKey, flagged: list
) -> None:
    # ~470 KiB batches take the backend more than the fixture's 2 s under a loaded CI machine;
    # this test is about size, so its client waits as long as the daemon's default would
    client = BackendClient(backend.url, KIOSK, key)
    outbox, builder, sender = setup(client, flagged)
    big = records(600)
    for record in big:  # long data (a payment with many notes is as long): 600 records, ~3 MiB
        record["data"] = {"pad": "x" * 5000}
    prev = GENESIS  # re-hashed after the padding, as the kiosk would have hashed them
    for record in big:
        record["prev"] = prev
        prev = record["hash"] = record_hash(record)
    seqs = await builder.add(big, START)
    assert len(seqs) > 1
    assert all(len(i.body) < MAX_BODY for i in outbox.items)
    try:
        assert await send_all(outbox, sender) == ["done"] * len(seqs)
    finally:
        await client.close()



RATING = {"kind": "rating", "id": 1, "txn": "0b7e4c1e-3f7a-4b8e-9d55-2f6a8c1d9e01", "seq": 1, "rating": "good",
          "at": "2026-11-23T01:02:03Z"}
KNOWN = sorted({"payment", "audit", "alert", "case", "invoice", "handover", "counterfeit", "difference", "claim",
                "key", "patrol", "doubt"})
REFUSED = ("batch", "1", f"bad_request: records[3].kind: one of {KNOWN} required")


async def test_a_refused_batch_is_kept_and_the_later_ones_wait_until_the_backend_accepts_it(
    client: BackendClient, backend: ReferenceBackend, flagged: list
) -> None:
    accepted: list[str] = []
    outbox, builder, sender = setup(client, flagged, accepted)
    await builder.add([*records(3), RATING], START)
    await builder.add(records(2, 3), head_of(records(3)))
    backend.faults.unknown_kinds = frozenset({"rating"})  # a backend older than ratings: 400
    first = await outbox.outbox_next("batch")
    assert await sender.send(first) == "retry"
    assert await sender.send(await outbox.outbox_next("batch")) == "retry"
    kept = await outbox.outbox_next("batch")
    assert (kept.key, kept.body, kept.tries, kept.done) == ("1", first.body, 2, None)  # never dropped
    assert flagged == [REFUSED, REFUSED]  # told each time (the alert de-duplicates)
    assert backend.hits["/v1/batches"] == 2  # batch 2 never went out in its place: no 409 gap storm
    assert backend.store.report()["audit_heads"] == []
    backend.faults.unknown_kinds = frozenset()  # the operator upgraded the backend
    assert await send_all(outbox, sender) == ["done", "done"]
    assert accepted == ["1", "2"]
    assert backend.store.report()["audit_heads"][0]["batch_seq"] == 2


async def test_a_batch_an_older_kioskd_dropped_on_400_is_named_when_the_gap_is_filled(
    client: BackendClient, backend: ReferenceBackend, flagged: list
) -> None:
    accepted: list[str] = []
    outbox, builder, sender = setup(client, flagged, accepted)
    await builder.add([*records(3), RATING], START)
    await builder.add(records(2, 3), head_of(records(3)))
    await outbox.outbox_done(1, '{"status": 400}')  # what kioskd did before it kept refused batches
    backend.faults.unknown_kinds = frozenset({"rating"})
    second = await outbox.outbox_next("batch")
    assert second.key == "2" and await sender.send(second) == "retry"  # 409 gap; 1 again: 400
    assert flagged == [REFUSED]  # the batch the backend refuses is named, not the one waiting
    backend.faults.unknown_kinds = frozenset()
    assert await send_all(outbox, sender) == ["done"]
    assert accepted == ["1", "2"]
    assert backend.store.report()["audit_heads"][0]["batch_seq"] == 2
