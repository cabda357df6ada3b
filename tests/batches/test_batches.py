"""Batches from the real journal to the reference backend: chained, gap-free, complete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jws import verify
from kioskd.ledger import Ledger
from kioskd.uplink.batches import BatchBuilder, batch_digest
from kioskd.uplink.client import BackendClient
from kioskd.uplink.keys import init_key, load_key
from kioskd.uplink.outbox import OutboxSender, alert_body
from kioskd.uplink.payments import UplinkPayments
from kioskd.uplink.scheduler import BatchScheduler
from refbackend import ReferenceBackend
from statemachine.ports import AccountInfo

KIOSK = "K-BATCH"
INFO = AccountInfo("0012345678", "张*明", 12350, -12350, "CNY", 100, 500000)


async def pay(ledger: Ledger, payments: UplinkPayments, notes: list[int]) -> str:
    txn = await ledger.open_payment(INFO)
    for value in notes:
        await ledger.stack_requested(txn, value)
        await ledger.commit_note(txn, value)
    await ledger.close_payment(txn)
    result = await payments.submit(txn)
    assert result.status == "credited"
    return txn


@dataclass(frozen=True)
class Uplink:
    """A journal linked to an enrolled reference backend: what a kiosk's batches go through."""

    key: Ed25519PrivateKey
    backend: ReferenceBackend
    ledger: Ledger
    sender: OutboxSender
    scheduler: BatchScheduler
    payments: UplinkPayments


@pytest.fixture
async def uplink(tmp_path: Path) -> AsyncIterator[Uplink]:
    init_key(tmp_path / "kiosk.key")
    key = load_key(tmp_path / "kiosk.key")
    backend = ReferenceBackend(tmp_path / "backend.sqlite3")
    backend.enroll(KIOSK, key.public_key())
    url = await backend.start()
    ledger = await Ledger.open(tmp_path, KIOSK)
    client = BackendClient(url, KIOSK, key, timeout=5)
    try:
        builder = BatchBuilder(ledger, client)
        sender = OutboxSender(ledger, client, batch_handler=builder.handle_conflict)
        scheduler = BatchScheduler(ledger, builder)
        payments = UplinkPayments(ledger, client, outbox=sender)
        yield Uplink(key, backend, ledger, sender, scheduler, payments)
    finally:
        await client.close()
        await ledger.close()
        await backend.stop()


async def test_batches_carry_every_payment_audit_entry_and_alert_once(uplink: Uplink) -> None:
    ledger, scheduler = uplink.ledger, uplink.scheduler
    first = await pay(ledger, uplink.payments, [10000, 500])
    await ledger.audit_append("restart", {"reason": "test"})
    await ledger.outbox_put("alert", "a1:raised", alert_body("a1", "note_jam", "critical", "raised", "2026-11-23T00:00:00Z"))
    assert await scheduler.flush() == [1]
    assert await scheduler.flush() == []  # nothing new: no empty batch
    second = await pay(ledger, uplink.payments, [2000])
    assert await scheduler.flush() == [2]

    one, two = await ledger.outbox_item("batch", "1"), await ledger.outbox_item("batch", "2")
    _, p1 = verify(one.body, uplink.key.public_key())
    _, p2 = verify(two.body, uplink.key.public_key())
    assert (p1["seq"], p1["prev"]) == (1, "0" * 64)
    assert (p2["seq"], p2["prev"]) == (2, batch_digest(one.body))
    kinds1 = sorted({r["kind"] for r in p1["records"]})
    assert kinds1 == ["alert", "audit", "payment"]
    # the payment's money facts are audit entries too (opened, each note, each state)
    types1 = [r["type"] for r in p1["records"] if r["kind"] == "audit"]
    assert types1.count("note") == 2 and "txn_open" in types1 and "restart" in types1
    pay1 = next(r for r in p1["records"] if r["kind"] == "payment")
    assert (pay1["txn"], pay1["amount"], pay1["status"]) == (first, 10500, "credited")
    assert [r["txn"] for r in p2["records"] if r["kind"] == "payment"] == [second]
    head = await ledger.audit_head()
    assert p2["audit_head"] == {"seq": head[0], "hash": head[1]}

    for item in (one, two):
        assert await uplink.sender.send(item) == "done"
    assert (await ledger.outbox_depth()).get("batch", 0) == 0


async def test_a_pending_payment_holds_later_ones_back_until_answered(tmp_path: Path) -> None:
    ledger = await Ledger.open(tmp_path, KIOSK)
    try:
        txn = await ledger.open_payment(INFO)
        await ledger.stack_requested(txn, 100)
        await ledger.commit_note(txn, 100)
        await ledger.close_payment(txn)
        await ledger.set_payload(txn, "e30.eyJ0eG4iOiJ4In0.sig")
        await ledger.settle(txn, "pending")
        assert await ledger.batch_payments(0) == []
        await ledger.settle(txn, "credited", balance=1, ref="B-1")
        assert [r["status"] for r in await ledger.batch_payments(0)] == ["credited"]
    finally:
        await ledger.close()


async def test_a_customers_rating_reaches_the_backend_once_in_the_next_batch(uplink: Uplink) -> None:
    ledger, scheduler = uplink.ledger, uplink.scheduler
    txn = await pay(ledger, uplink.payments, [5000])
    assert await scheduler.flush() == [1]  # the payment went before the customer chose
    await ledger.rate_payment(txn, "poor")
    assert await scheduler.flush() == [2]
    assert await scheduler.flush() == []
    two = await ledger.outbox_item("batch", "2")
    _, payload = verify(two.body, uplink.key.public_key())
    assert [(r["kind"], r["txn"], r["seq"], r["rating"]) for r in payload["records"]] == [
        ("rating", txn, 1, "poor")]
    for seq in ("1", "2"):
        assert await uplink.sender.send(await ledger.outbox_item("batch", seq)) == "done"
    stored = uplink.backend.store.report()["ratings"]
    assert [(r["kiosk"], r["txn"], r["seq"], r["rating"]) for r in stored] == [(KIOSK, txn, 1, "poor")]
