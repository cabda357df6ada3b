"""The kiosk's status report reaches the backend: box counters, paper, money not credited."""

from __future__ import annotations

import json

from kioskd.ledger.ledger import Ledger
from kioskd.uplink.client import BackendClient
from kioskd.uplink.payments import UplinkPayments
from kioskd.uplink.status import build_status, send_status
from refbackend import ReferenceBackend
from tests.uplink.support import BLOCKED, paid


class OpenAlerts:
    """The part of kioskd.hall.alerts.Alerts the report reads."""

    def __init__(self, *codes: str) -> None:
        self.open = {(code, "printer"): None for code in codes}

    def is_open(self, code: str) -> bool:
        return (code, "printer") in self.open


async def test_status_carries_box_paper_and_flagged_money_to_the_backend(
        ledger: Ledger, payments: UplinkPayments, client: BackendClient, backend: ReferenceBackend) -> None:
    await payments.submit(await paid(ledger, 10000, 5000))  # credited
    await payments.submit(await paid(ledger, 5000, number=BLOCKED))  # refused: flagged, its cash in the box
    status = await build_status(ledger, OpenAlerts("printer_paper_low"), "service_idle", 1500)
    assert status["box"] | {"since": None} == {"notes": 3, "amount": 20000, "capacity": 1500, "since": None,
                                               "by_note": {"5000": 2, "10000": 1}}
    assert (status["paper"], status["flagged"], status["pending"]) == (
        "low", {"count": 1, "amount": 5000}, {"count": 0, "amount": 0})
    assert await send_status(client, status)
    [row] = backend.store.fleet_rows()["kiosks"]
    assert json.loads(row["report"])["box"]["notes"] == 3 and json.loads(row["report"])["paper"] == "low"


async def test_a_status_that_does_not_get_through_is_dropped(ledger: Ledger, client: BackendClient,
                                                            backend: ReferenceBackend) -> None:
    backend.faults.fail_5xx = 1
    status = await build_status(ledger, OpenAlerts("printer_offline", "printer_paper_out"), "unavailable", 0)
    assert status["paper"] == "offline"
    assert not await send_status(client, status)
    assert await send_status(client, status)
