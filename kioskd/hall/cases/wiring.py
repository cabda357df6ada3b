"""How the daemon starts the case procedure: the service, the outbox's case handler, the sweeps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kioskd.hall.cases.claims import check_claims
from kioskd.hall.cases.doubts import clear_settled
from kioskd.hall.cases.service import Cases
from kioskd.hall.cases.sweep import run_sweeps

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from drivers.base import ReceiptPrinter
    from kioskd.config import Config
    from kioskd.hall.alerts import Alerts
    from kioskd.ledger import Ledger
    from kioskd.uplink.client import BackendClient
    from kioskd.uplink.outbox import OutboxSender

    Spawn = Callable[[Coroutine[Any, Any, object], str], object]


def start_cases(*, ledger: Ledger, client: BackendClient, sender: OutboxSender, alerts: Alerts,
                printer: ReceiptPrinter, config: Config, spawn: Spawn) -> Cases:
    """The kiosk's Cases; re-credits and voids without an answer go out again through its outbox."""
    cases = Cases(ledger=ledger, client=client, sender=sender, alerts=alerts, printer=printer, config=config)
    sender.case_handler = cases.send_from_outbox
    spawn(run_sweeps(ledger, alerts, config.cases), "case-sweep")
    return cases


def claims_after_count(ledger: Ledger, alerts: Alerts, spawn: Spawn) -> None:
    """A custody session ended: its count may answer customers' claims and settle in-doubt notes at once."""
    async def check() -> None:
        await check_claims(ledger)
        await clear_settled(ledger, alerts)

    spawn(check(), "case-claims")
