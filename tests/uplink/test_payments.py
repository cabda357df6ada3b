"""Payment submission over real HTTP with faults: credited exactly once, or flagged, never a lie."""

from __future__ import annotations

import asyncio

from backend_api.jws import verify
from kioskd.ledger import Ledger
from kioskd.uplink.client import PAYMENTS_PATH, BackendClient
from kioskd.uplink.outbox import OutboxSender
from kioskd.uplink.payments import UplinkPayments
from refbackend import ReferenceBackend
from tests.uplink.support import BLOCKED, KIOSK, LOW_MAX, ZHANG, paid

# the late-answer tests: the kiosk's deadline, and a backend slower than it by as much again
LATE_DEADLINE, LATE_ANSWER = 2.0, 4.0


async def drain_payment(ledger: Ledger, sender: OutboxSender) -> str:
    """Send the oldest payment in the outbox once, as the sender's loop would."""
    item = await ledger.outbox_next("payment")
    assert item is not None
    return await sender.send(item)


async def test_credited_on_200_with_balance_and_ref(payments: UplinkPayments, ledger: Ledger, backend: ReferenceBackend) -> None:
    txn = await paid(ledger, 10000, 5000)
    result = await payments.submit(txn)
    assert (result.status, result.amount, result.notes) == ("credited", 15000, (10000, 5000))
    assert result.balance == -12350 + 15000 and result.ref.startswith("B-")
    assert (await ledger.transaction(txn)).state == "credited"
    assert backend.credits(KIOSK) == {txn: 15000}
    assert await ledger.outbox_depth() == {}


async def test_payload_is_the_ledger_payload_signed_once(payments: UplinkPayments, ledger: Ledger, key) -> None:
    txn = await paid(ledger, 5000)
    await payments.submit(txn)
    record = await ledger.transaction(txn)
    header, payload = verify(record.payload, key.public_key())
    assert header == {"alg": "EdDSA", "kid": KIOSK, "typ": "kioskd+jws"}
    assert payload == await ledger.payment_payload(txn)


async def test_duplicate_submit_credits_once(payments: UplinkPayments, ledger: Ledger, backend: ReferenceBackend) -> None:
    txn = await paid(ledger, 5000)
    first, second = await asyncio.gather(payments.submit(txn), payments.submit(txn))
    assert first == second and first.status == "credited"
    assert backend.credits(KIOSK) == {txn: 5000}


async def test_5xx_then_ok_within_the_deadline(ledger: Ledger, client: BackendClient, sender: OutboxSender,
                                               backend: ReferenceBackend) -> None:
    # three signed requests and their journal writes: the daemon's own 10 s deadline, not the fixture's
    # 1 s (made for the late-answer tests), which a loaded machine's fsyncs overran once
    payments = UplinkPayments(ledger, client, submit_timeout=10.0, outbox=sender)
    backend.faults.fail_5xx = 2
    txn = await paid(ledger, 5000)
    assert (await payments.submit(txn)).status == "credited"
    assert backend.hits["/v1/payments"] == 3 and backend.credits(KIOSK) == {txn: 5000}


async def test_reset_after_commit_then_retry_gets_the_same_200(payments: UplinkPayments, ledger: Ledger, backend: ReferenceBackend) -> None:
    backend.faults.drop_after = 1
    txn = await paid(ledger, 10000)
    result = await payments.submit(txn)
    assert result.status == "credited" and result.balance == -12350 + 10000
    assert backend.credits(KIOSK) == {txn: 10000}


async def test_reset_before_commit_then_retry(payments: UplinkPayments, ledger: Ledger, backend: ReferenceBackend) -> None:
    backend.faults.drop_before = 1
    txn = await paid(ledger, 10000)
    assert (await payments.submit(txn)).status == "credited"
    assert backend.credits(KIOSK) == {txn: 10000}


async def test_timeout_before_commit_is_pending_then_the_outbox_credits_it(
    ledger: Ledger, client: BackendClient, backend: ReferenceBackend, sender: OutboxSender
) -> None:
    payments = UplinkPayments(ledger, client, submit_timeout=LATE_DEADLINE, outbox=sender)
    backend.faults.delay = LATE_ANSWER
    txn = await paid(ledger, 5000)
    result = await payments.submit(txn)
    assert result.status == "pending" and result.balance is None and result.ref is None
    record = await ledger.transaction(txn)
    item = await ledger.outbox_next("payment")
    assert (record.state, item.key, item.body) == ("pending", txn, record.payload)  # byte for byte
    backend.faults.delay = 0.0
    assert await drain_payment(ledger, sender) == "done"
    record = await ledger.transaction(txn)
    assert record.state == "credited" and record.balance == -12350 + 5000
    assert backend.credits(KIOSK) == {txn: 5000}
    assert await ledger.outbox_depth() == {}


async def test_committed_but_answered_too_late_is_pending_never_credited_twice(
    ledger: Ledger, client: BackendClient, backend: ReferenceBackend, sender: OutboxSender
) -> None:
    payments = UplinkPayments(ledger, client, submit_timeout=LATE_DEADLINE, outbox=sender)
    backend.faults.delay_after = LATE_ANSWER  # the backend credits, but the answer misses the deadline
    txn = await paid(ledger, 5000)
    assert (await payments.submit(txn)).status == "pending"
    assert backend.credits(KIOSK) == {txn: 5000}
    backend.faults.delay_after = 0.0
    assert await drain_payment(ledger, sender) == "done"
    assert (await ledger.transaction(txn)).state == "credited"
    assert backend.credits(KIOSK) == {txn: 5000}


async def test_backend_down_then_back(ledger: Ledger, client: BackendClient, backend: ReferenceBackend,
                                     sender: OutboxSender) -> None:
    payments = UplinkPayments(ledger, client, submit_timeout=1.0, outbox=sender)  # pending at any deadline
    port = int(backend.url.rsplit(":", 1)[1].rstrip("/"))
    await backend.stop()
    txn = await paid(ledger, 5000)
    assert (await payments.submit(txn)).status == "pending"
    assert await drain_payment(ledger, sender) == "retry"  # still down: kept, backoff
    item = await ledger.outbox_next("payment")
    assert item.tries == 1 and item.body == (await ledger.transaction(txn)).payload
    await backend.start(port=port)
    assert await drain_payment(ledger, sender) == "done"
    assert (await ledger.transaction(txn)).state == "credited"
    assert backend.credits(KIOSK) == {txn: 5000}


async def test_422_blocked_account_is_flagged_not_credited(
    payments: UplinkPayments, ledger: Ledger, backend: ReferenceBackend, flagged: list
) -> None:
    txn = await paid(ledger, 5000, number=BLOCKED)
    result = await payments.submit(txn)
    assert result.status == "flagged" and result.reason == "rejected: account_blocked"
    assert flagged == [("payment", txn, "rejected: account_blocked")]
    assert backend.credits(KIOSK) == {} and await ledger.outbox_depth() == {}


async def test_422_over_max_is_flagged(payments: UplinkPayments, ledger: Ledger, backend: ReferenceBackend) -> None:
    txn = await paid(ledger, *[10000] * 11, number=LOW_MAX)  # 110000 > max 100000
    result = await payments.submit(txn)
    assert (result.status, result.reason) == ("flagged", "rejected: over_max")
    assert backend.credited_total(KIOSK) == 0


async def test_409_conflict_is_flagged(
    payments: UplinkPayments, ledger: Ledger, backend: ReferenceBackend, client: BackendClient, flagged: list
) -> None:
    txn = await paid(ledger, 5000)
    # another payload under the same txn reached the backend first (a bug or a tampered copy)
    other = await ledger.payment_payload(txn)
    other["amount"] = other["notes"][0]["value"] = 10000
    assert (await client.post_signed(PAYMENTS_PATH, client.sign(other))).status == 200
    result = await payments.submit(txn)
    assert (result.status, result.reason) == ("flagged", "conflict")
    assert flagged and flagged[0][:2] == ("payment", txn)


async def test_resubmit_after_restart_sends_the_stored_payload(
    ledger: Ledger, client: BackendClient, backend: ReferenceBackend, sender: OutboxSender
) -> None:
    txn = await paid(ledger, 5000)
    backend.faults.delay = 1.5
    first = UplinkPayments(ledger, client, submit_timeout=0.3, outbox=sender)
    assert (await first.submit(txn)).status == "pending"
    backend.faults.delay = 0.0
    stored = (await ledger.transaction(txn)).payload
    again = UplinkPayments(ledger, client, submit_timeout=10.0)  # a new process, same journal
    result = await again.submit(txn)
    assert result.status == "credited" and (await ledger.transaction(txn)).payload == stored
    assert await drain_payment(ledger, sender) == "done"  # the outbox copy: already settled
    assert backend.credits(KIOSK) == {txn: 5000}


async def test_lookup_goes_to_the_backend(payments: UplinkPayments) -> None:
    assert (await payments.lookup(ZHANG)).due == 12350
