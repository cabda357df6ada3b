"""What the kiosk checks by itself, every [cases] sweep_every seconds: no cash without an owner,
no phone number kept past its retention, claims matched to the count that can answer them."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from backend_api.fields import format_utc
from kioskd.hall.cases.claims import check_claims
from kioskd.hall.cases.doubts import clear_settled
from kioskd.system.clock import wall_now

if TYPE_CHECKING:
    from kioskd.config import CasesConfig
    from kioskd.hall.alerts import Alerts
    from kioskd.ledger import Ledger

log = logging.getLogger("kioskd.hall.cases")

CODE = "cash_without_case"


async def sweep(ledger: Ledger, alerts: Alerts, settings: CasesConfig, now: datetime | None = None) -> None:
    """One round: alerts for unowned cash (raised and cleared), contacts erased, claims checked."""
    now = now or wall_now()
    unowned = await ledger.cases.unowned(format_utc(now - timedelta(seconds=settings.alert_after)))
    wanted = {f"payment {u['txn']}": u for u in unowned}
    for device, u in wanted.items():
        alerts.raise_alert(CODE, "warning", device=device, txn=u["txn"], seq=u["seq"], amount=u["amount"],
                           state=u["state"], ended=u["ended"])
    for code, device in list(alerts.open):
        if code == CODE and device not in wanted:  # a case was opened, or the backend answered
            alerts.clear_alert(code, device)
    erased = await ledger.cases.erase_contacts(format_utc(now - timedelta(days=settings.contact_retention_days)))
    if erased:
        log.info("customer phone numbers erased (retention over): cases %s", ", ".join(map(str, erased)))
    await check_claims(ledger)
    await clear_settled(ledger, alerts)


async def run_sweeps(ledger: Ledger, alerts: Alerts, settings: CasesConfig) -> None:
    """Sweep now and every `sweep_every` seconds until cancelled; a failing round is logged."""
    while True:
        try:
            await sweep(ledger, alerts, settings)
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop boundary: a sweep must never stop the kiosk
            log.exception("case sweep failed")
        await asyncio.sleep(settings.sweep_every)
