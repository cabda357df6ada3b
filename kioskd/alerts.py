"""Alerts for staff and the backend: raised once per code, cleared by their cause.

Each change goes into the outbox (kind "alert") in the order it happened; the
outbox sender delivers it to POST /v1/alerts.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kioskd.uplink.outbox import alert_body

log = logging.getLogger("kioskd.alerts")

SEVERITIES = ("info", "warning", "critical")
CODES = (
    "note_jam", "stacker_full", "stacker_near_full", "box_removed", "box_tamper",
    "validator_offline", "validator_fault", "printer_paper_out", "printer_paper_low",
    "printer_offline", "backend_unreachable", "payment_flagged", "custody_mismatch",
    "door_open", "power_restored",
)


def utc_now() -> str:
    """Now as RFC 3339 UTC with a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


@dataclass
class Alert:
    """One alert and its present state."""

    id: str
    code: str
    severity: str
    state: str
    at: str
    detail: dict[str, Any] = field(default_factory=dict)


class Alerts:
    """De-duplicated alerts (one open per code), stored in the outbox in order."""

    def __init__(self, ledger: Any, on_change: Callable[[], None] = lambda: None) -> None:
        self.ledger = ledger
        self.on_change = on_change
        self.open: dict[str, Alert] = {}
        self._queue: asyncio.Queue[Alert] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    def raise_alert(self, code: str, severity: str = "warning", **detail: object) -> None:
        """Raise `code` unless it is already open."""
        if code not in CODES or severity not in SEVERITIES:
            raise ValueError(f"unknown alert {code!r}/{severity!r}")
        if code in self.open:
            return
        alert = Alert(str(uuid.uuid4()), code, severity, "raised", utc_now(), _plain(detail))
        self.open[code] = alert
        log.warning("alert raised: %s (%s) %s", code, severity, alert.detail or "")
        self._store(alert)

    def clear_alert(self, code: str) -> None:
        """Clear the open alert `code`, if any."""
        alert = self.open.pop(code, None)
        if alert is None:
            return
        log.info("alert cleared: %s", code)
        self._store(Alert(alert.id, code, alert.severity, "cleared", utc_now(), alert.detail))

    def acknowledge(self, alert_id: str) -> bool:
        """Staff saw the alert; False if no open alert has that id."""
        for alert in self.open.values():
            if alert.id == alert_id and alert.state == "raised":
                alert.state = "acknowledged"
                self._store(Alert(alert.id, alert.code, alert.severity, "acknowledged", utc_now(), alert.detail))
                return True
        return False

    def _store(self, alert: Alert) -> None:
        self._queue.put_nowait(alert)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write(), name="alerts")

    async def _write(self) -> None:
        while not self._queue.empty():
            a = self._queue.get_nowait()
            body = alert_body(a.id, a.code, a.severity, a.state, a.at, a.detail)
            try:
                await self.ledger.outbox_put("alert", f"{a.id}:{a.state}", body)
            except Exception as err:  # the alert is still logged and shown
                log.error("could not store alert %s %s: %s", a.code, a.state, err)
            self.on_change()

    async def drain(self) -> None:
        """Wait until every change so far is in the outbox."""
        while self._writer is not None and not self._writer.done():
            await self._writer


def _plain(detail: dict[str, object]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if isinstance(v, str | int | bool) or v is None}
