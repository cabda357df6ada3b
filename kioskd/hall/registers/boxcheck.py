"""The daily close's check that a custody session emptied the cash box that day ([close] box_emptied)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from kioskd.hall.paid_figures import day_bounds

if TYPE_CHECKING:
    from kioskd.hall.alerts import Alerts
    from kioskd.ledger import Ledger


async def box_emptied(ledger: Ledger, day: date, tz: str) -> dict[str, Any]:
    """The boxes custody sessions emptied on the local `day`, and what the box in the kiosk holds now."""
    since, until = day_bounds(day, tz)
    counters = await ledger.counters()
    return {"boxes": await ledger.registers.box_changes(since, until), "holding": sum(counters.values())}


async def check_box_emptied(ledger: Ledger, alerts: Alerts, day: date, tz: str, required: bool) -> dict[str, Any]:
    """At the close: raise `box_not_emptied` when it is required, no session emptied the box that day
    and the box holds notes; the figures go into the report either way."""
    found = await box_emptied(ledger, day, tz)
    missed = required and not found["boxes"] and found["holding"] > 0
    if missed:
        alerts.raise_alert("box_not_emptied", "warning", day=day.isoformat(), notes=found["holding"])
    return {**found, "required": required, "missed": missed}
