"""The journal's thread stuck on a write (a dying card's fsync) when the backend's answer is to be
recorded: the customer is told pending without waiting for ever; the payment is credited once; the
kiosk stays out of service, staff told, until the journal answers again."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from kioskd.ledger import Ledger, StorageError
from kioskd.uplink.client import BackendClient
from kioskd.uplink.outbox import OutboxSender
from kioskd.uplink.payments import UplinkPayments
from refbackend import ReferenceBackend
from statemachine.model import KioskModel
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


class _Model:
    """The machine as the storage watch sees it: idle, its problems, health_changed."""

    set_problem = KioskModel.set_problem  # the machine's own bookkeeping of what stops payments

    def __init__(self) -> None:
        self.state, self.problems, self.triggered = "service_idle", {}, []

    async def trigger(self, name: str) -> None:
        self.triggered.append(name)


class _Alerts:
    def __init__(self) -> None:
        self.open: dict[tuple[str, str], dict[str, Any]] = {}

    def raise_alert(self, code: str, severity: str = "warning", *, device: str = "", **detail: Any) -> None:
        self.open[(code, device)] = {"severity": severity, **detail}

    def clear_alert(self, code: str, device: str = "") -> None:
        self.open.pop((code, device), None)


async def test_a_journal_stuck_after_a_refused_settlement_takes_the_kiosk_out_of_service_with_an_alert(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The folder takes the probe's write, the journal's thread does not answer: staff are told and
    no customer starts a payment on it; once it answers, the kiosk is back and the payment submitted."""
    from kioskd.system.storage import StorageWatch

    txn = await paid(ledger, 10000)
    model, alerts, resubmitted = _Model(), _Alerts(), []
    watch = StorageWatch(state_dir=tmp_path, ledger=ledger, alerts=alerts,  # type: ignore[arg-type]
                         resubmit=resubmitted.append, recover_within=0.5)
    watch.model = model  # type: ignore[assignment]
    store: Any = ledger._journal
    write_back, recover = threading.Event(), store.recover

    def stuck_recover() -> list[str]:
        write_back.wait(60)  # behind the write that does not end
        return recover()

    store.recover = stuck_recover
    try:
        watch.refused(StorageError("the journal did not answer in 30.0 s"))
        await watch.check()
        assert model.problems == {"storage": "storage"} and model.triggered == ["health_changed"]
        alert = alerts.open[("validator_fault", "journal")]
        assert alert["severity"] == "critical" and "did not answer" in alert["error"]
    finally:
        write_back.set()
    store.recover = recover
    await watch.check()
    assert model.problems == {} and alerts.open == {} and resubmitted == [txn]
