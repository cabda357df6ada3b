"""The kiosk's status for the operator's view (POST /v1/status): box, paper, money not credited."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kioskd.hall.words import reason_fields
from kioskd.uplink.client import STATUS_PATH, BackendClient
from kioskd.uplink.errors import Unreachable

if TYPE_CHECKING:
    from kioskd.hall.alerts import Alerts
    from kioskd.ledger import Ledger

log = logging.getLogger(__name__)

# The printer's worst open alert decides the paper state (spec: ok, low, out, offline).
PAPER_BY_ALERT = (("printer_offline", "offline"), ("printer_paper_out", "out"), ("printer_paper_low", "low"))


async def build_status(ledger: Ledger, alerts: Alerts, state: str, capacity: int) -> dict[str, Any]:
    """The status payload without kiosk and ts (the client adds them when it signs)."""
    box = await ledger.box_figures()
    counts = box["counts"]
    money = await ledger.cases.unresolved_money()  # cash a case settled is no longer the operator's worry
    paper = next((name for code, name in PAPER_BY_ALERT if alerts.is_open(code)), "ok")
    return {
        "state": state, "paper": paper, **money,
        "box": {"notes": sum(counts.values()), "amount": sum(int(v) * n for v, n in counts.items()),
                "capacity": capacity, "since": box["since"],
                "by_note": {str(v): n for v, n in sorted(counts.items())}},
        "outbox": sum((await ledger.outbox_depth()).values()), "alerts_open": len(alerts.open),
    }


async def uplink_state(ledger: Ledger, alerts: Alerts) -> dict[str, Any]:
    """What staff see of the link: payments awaiting the backend's answer, batches waiting, a refused batch.

    `refused` is the open batch_refused alert (`cleared` null), else the last one cleared (when
    that batch was accepted), else null.
    """
    money = await ledger.cases.unresolved_money()
    depth = await ledger.outbox_depth()
    now = [a for a in alerts.open.values() if a.code == "batch_refused"]
    past = [a for a in reversed(alerts.recent) if a.code == "batch_refused"]
    last = min(now, key=lambda a: a.detail.get("seq", 0)) if now else (past[0] if past else None)
    reason = str(last.detail.get("reason") or "") if last is not None else ""
    refused = None if last is None else {
        "seq": last.detail.get("seq"), "reason": reason, **reason_fields(reason), "since": last.raised_at,
        "cleared": None if now else last.at}
    return {"pending": money["pending"], "batches_waiting": depth.get("batch", 0), "refused": refused}


async def send_status(client: BackendClient, status: dict[str, Any]) -> bool:
    """Send one status; False when it did not get through (the next one replaces it)."""
    try:
        answer = await client.post_signed(STATUS_PATH, client.sign(
            {**status, "type": "status", "kiosk": client.kiosk_id, "ts": client.now()}))
    except Unreachable as err:
        log.debug("status not sent: %s", err)
        return False
    if answer.status != 200:
        log.info("status refused: HTTP %s %s", answer.status, answer.body)
    return answer.status == 200


async def report_status(ledger: Ledger, alerts: Alerts, client: BackendClient, state: Callable[[], str],
                        box_capacity: int, every: float) -> None:
    """Send the kiosk's status (`state()`: the machine's) now and then every `every` seconds, until cancelled."""
    while True:
        try:
            status = await build_status(ledger, alerts, state(), box_capacity)
            await send_status(client, status)
        except asyncio.CancelledError:
            raise
        except Exception:  # a report must never stop the kiosk: log, try again next time
            log.exception("status report failed")
        await asyncio.sleep(every)
