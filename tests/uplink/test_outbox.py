"""OutboxSender: order per kind, backoff while no definite answer, alerts re-signed per send."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from datetime import UTC, datetime

import pytest

from kioskd.ledger import Ledger
from kioskd.uplink.client import BackendClient
from kioskd.uplink.outbox import OutboxSender, alert_body
from kioskd.uplink.payments import UplinkPayments
from refbackend import ReferenceBackend
from tests.uplink.support import KIOSK, paid


def backend_rows(backend: ReferenceBackend, sql: str) -> list[tuple]:
    conn = sqlite3.connect(backend.db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_run_sends_pending_payments_in_order_once_the_backend_is_back(
    ledger: Ledger, client: BackendClient, backend: ReferenceBackend
) -> None:
    credited: list[str] = []
    all_credited = asyncio.Event()
    txns: list[str] = []

    def on_credited(txn: str, balance: int, ref: str) -> None:
        credited.append(txn)
        if len(credited) == len(txns):
            all_credited.set()

    sender = OutboxSender(ledger, client, on_credited=on_credited, first_backoff=0.05, backoff_cap=0.2)
    payments = UplinkPayments(ledger, client, submit_timeout=0.2, outbox=sender)
    port = int(backend.url.rsplit(":", 1)[1].rstrip("/"))
    await backend.stop()
    for value in (1000, 2000, 5000):
        txn = await paid(ledger, value)
        txns.append(txn)
        assert (await payments.submit(txn)).status == "pending"
    runner = asyncio.create_task(sender.run())
    try:
        await backend.start(port=port)
        sender.wake()
        async with asyncio.timeout(10):
            await all_credited.wait()
    finally:
        runner.cancel()
    assert credited == txns
    assert backend.credits(KIOSK) == {t: v for t, v in zip(txns, (1000, 2000, 5000), strict=True)}
    assert [r[0] for r in backend_rows(backend, "SELECT txn FROM payments ORDER BY id")] == txns
    assert [(await ledger.transaction(t)).state for t in txns] == ["credited"] * 3


async def test_backoff_grows_with_jitter_and_a_cap(ledger: Ledger, client: BackendClient, backend: ReferenceBackend) -> None:
    fixed = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    sender = OutboxSender(ledger, client, first_backoff=1.0, backoff_cap=4.0, now=lambda: fixed)
    await backend.stop()
    await ledger.outbox_put("payment", (txn := await paid(ledger, 5000)), "x.y.z")
    delays = []
    for _ in range(5):
        item = await ledger.outbox_next("payment")
        assert await sender.send(item) == "retry"
        after = await ledger.outbox_next("payment")
        delays.append((datetime.fromisoformat(after.next_try) - fixed).total_seconds())
    for tries, delay in enumerate(delays):
        full = min(4.0, 2.0**tries)
        assert full * 0.5 - 0.001 <= delay <= full + 0.001
    assert (await ledger.outbox_next("payment")).tries == 5
    assert (await ledger.transaction(txn)).state == "closed"  # nothing settled without an answer


async def test_alerts_are_resigned_with_a_fresh_ts_and_idempotent(
    ledger: Ledger, sender: OutboxSender, backend: ReferenceBackend
) -> None:
    alert_id = str(uuid.uuid4())
    at = "2026-11-23T01:59:00.000Z"
    await ledger.outbox_put("alert", f"{alert_id}:raised", alert_body(alert_id, "note_jam", "critical", "raised", at, {"n": 1}))
    backend.faults.fail_5xx = 1
    item = await ledger.outbox_next("alert")
    assert await sender.send(item) == "retry"
    sent = []
    original = sender.client.sign
    sender.client.sign = lambda payload: sent.append(payload) or original(payload)
    try:
        assert await sender.send(await ledger.outbox_next("alert")) == "done"
        await ledger.outbox_put("alert", f"{alert_id}:raised-again", item.body)  # a duplicate delivery
        assert await sender.send(await ledger.outbox_next("alert")) == "done"
    finally:
        sender.client.sign = original
    assert sent[0]["at"] == at and sent[0]["ts"] != at and sent[0]["kiosk"] == KIOSK
    assert backend_rows(backend, "SELECT id, state, code FROM alerts") == [(alert_id, "raised", "note_jam")]


async def test_alert_bad_request_is_flagged_not_retried(ledger: Ledger, sender: OutboxSender, flagged: list) -> None:
    body = json.loads(alert_body(str(uuid.uuid4()), "no_such_code", "critical", "raised", "2026-11-23T01:59:00.000Z"))
    await ledger.outbox_put("alert", "a:raised", json.dumps(body))
    assert await sender.send(await ledger.outbox_next("alert")) == "done"
    assert await ledger.outbox_next("alert") is None
    assert flagged and flagged[0][:2] == ("alert", "a:raised") and "no_such_code" in flagged[0][2]


@pytest.mark.parametrize("fault", ["fail_5xx", "drop_before", "drop_after"])
async def test_every_payment_ends_credited_once_or_flagged(
    fault: str, ledger: Ledger, client: BackendClient, backend: ReferenceBackend, sender: OutboxSender
) -> None:
    payments = UplinkPayments(ledger, client, submit_timeout=0.1, outbox=sender)
    setattr(backend.faults, fault, 3)
    backend.faults.paths = ("/v1/payments",)
    txns = [await paid(ledger, 5000 * (i + 1)) for i in range(4)]
    for txn in txns:
        result = await payments.submit(txn)
        # never "credited" unless the backend really credited it
        assert result.status != "credited" or backend.credits(KIOSK).get(txn) == result.amount
    while (item := await ledger.outbox_next("payment")) is not None:
        assert await sender.send(item) in ("done", "retry")
    assert backend.credits(KIOSK) == {t: 5000 * (i + 1) for i, t in enumerate(txns)}
    assert [(await ledger.transaction(t)).state for t in txns] == ["credited"] * 4
