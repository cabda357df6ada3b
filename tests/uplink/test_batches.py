"""Batches: chained, <= 1,000 records, accepted by the backend; gap resent, fork kept and alerted."""

from __future__ import annotations

import json

from backend_api.jws import b64url, b64url_decode, verify
from kioskd.uplink.batches import GENESIS, BatchBuilder, batch_digest
from kioskd.uplink.client import BackendClient
from kioskd.uplink.outbox import OutboxSender
from refbackend import ReferenceBackend
from refbackend.intake import MAX_BODY
from refbackend.witness import record_hash
from tests.refbackend.test_witness import entries
from tests.uplink.fake_outbox import FakeOutbox

START = (0, GENESIS)  # nothing batched yet


def records(n: int, start: int = 0, tag: str = "a") -> list[dict]:
    """`n` real chained audit records after entry `start` (of the same chain)."""
    return entries(1, start + n, GENESIS, tag)[start:]


def head_of(batched: list[dict]) -> tuple[int, str]:
    return batched[-1]["seq"], batched[-1]["hash"]


def setup(client: BackendClient, flagged: list) -> tuple[FakeOutbox, BatchBuilder, OutboxSender]:
    outbox = FakeOutbox()
    builder = BatchBuilder(outbox, client, on_flagged=lambda *a: flagged.append(a))
    sender = OutboxSender(outbox, client, batch_handler=builder.handle_conflict, first_backoff=0.01)
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
    assert flagged == [("batch", "1", "fork")]
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
    client: BackendClient, backend: ReferenceBackend, flagged: list
) -> None:
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
    assert await send_all(outbox, sender) == ["done"] * len(seqs)
