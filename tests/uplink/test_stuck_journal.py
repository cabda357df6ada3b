"""The journal's thread stuck on a write (a dying card's fsync) when the backend's answer is to be
recorded: the customer is told pending without waiting for ever; the payment is credited once."""

from __future__ import annotations

import threading
from typing import Any

from kioskd.ledger import Ledger, StorageError
from kioskd.uplink.client import BackendClient
from kioskd.uplink.outbox import OutboxSender
from kioskd.uplink.payments import UplinkPayments
from refbackend import ReferenceBackend
from tests.uplink.support import KIOSK, paid


async def test_a_settlement_the_journal_does_not_write_in_time_is_told_pending_then_credited_once(
    ledger: Ledger, client: BackendClient, sender: OutboxSender, backend: ReferenceBackend
) -> None:
    refused: list[Exception] = []
    payments = UplinkPayments(ledger, client, submit_timeout=10.0, journal_timeout=0.5, outbox=sender,
                              on_refused=refused.append)
    txn = await paid(ledger, 10000, 5000)
    store: Any = ledger._journal
    write_back, settle = threading.Event(), store.settle

    def stuck_settle(*args: Any, **kwargs: Any) -> None:
        write_back.wait(60)  # the fsync that does not end, until the test lets it
        settle(*args, **kwargs)

    store.settle = stuck_settle
    try:
        result = await payments.submit(txn)
        # the backend credited it; the journal has not recorded that: the customer is told pending
        assert (result.status, result.amount, result.notes) == ("pending", 15000, (10000, 5000))
        assert [type(err) for err in refused] == [StorageError]
        assert backend.credits(KIOSK) == {txn: 15000}
    finally:
        write_back.set()  # the write lands late
    assert (await ledger.transaction(txn)).state == "credited"
    # the storage watch's resubmission once writes work: the answer already recorded, nothing sent again
    again = await payments.submit(txn)
    assert (again.status, again.amount) == ("credited", 15000)
    assert backend.credits(KIOSK) == {txn: 15000} and backend.hits["/v1/payments"] == 1
