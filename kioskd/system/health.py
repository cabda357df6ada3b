"""Alerts from conditions no device reports by itself: backend unreachable, box near full,
power restored after an unclean stop."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kioskd.hall.alerts import Alerts
    from kioskd.ledger import Ledger
    from kioskd.uplink.client import BackendClient
    from statemachine.model import KioskModel

from drivers.statefile import remove_file, write_file
from kioskd.system.clock import CLOCK, Clock

log = logging.getLogger("kioskd.system.health")

UNREACHABLE_AFTER = 120.0  # seconds of failed requests before staff hear of it
NEAR_FULL = 0.9  # share of [validator] box_capacity that raises stacker_near_full
RUN_MARKER = "running"  # present while kioskd runs; left behind by a crash or power cut


def check_backend(client: BackendClient, alerts: Alerts, now: float, after: float = UNREACHABLE_AFTER) -> None:
    """Raise backend_unreachable after `after` seconds of failures; clear on the next answer."""
    since = client.failing_since
    if since is None:
        alerts.clear_alert("backend_unreachable")
    elif now - since >= after:
        # what staff read: since when, how many requests failed, the last error (its kind for the words)
        alerts.raise_alert("backend_unreachable", "warning", last_contact=client.last_contact or "never",
                           **client.failing)


async def watch_backend(client: BackendClient, alerts: Alerts, after: float = UNREACHABLE_AFTER) -> None:
    """Check the backend link a few times per `after` seconds (at most every 15 s)."""
    interval = min(15.0, after / 4)
    while True:
        await asyncio.sleep(interval)
        check_backend(client, alerts, time.monotonic(), after)


def check_box(counters: dict[int, int], capacity: int, alerts: Alerts) -> None:
    """stacker_near_full when the box holds NEAR_FULL of its capacity (0: capacity unknown)."""
    if capacity <= 0:
        return
    notes = sum(counters.values())
    if notes >= capacity * NEAR_FULL:
        alerts.raise_alert("stacker_near_full", "warning", notes=notes, capacity=capacity)
    else:
        alerts.clear_alert("stacker_near_full")


PENDING_EVERY = 5.0  # seconds between checks of the money waiting for the backend


async def watch_pending(ledger: Ledger, model: KioskModel, limit: int, every: float = PENDING_EVERY) -> None:
    """Out of service (reason backend) while `limit` fen or more wait for the backend's credit."""
    if limit <= 0:
        return
    while True:
        waiting = await ledger.pending_money()
        if model.set_problem("pending", "backend" if waiting >= limit else None):
            log.warning("%s fen wait for the backend's credit (limit %s): %s", waiting, limit,
                        "out of service after the payment" if waiting >= limit else "back in service")
            await model.trigger("health_changed")
        await asyncio.sleep(every)


def report_clock(alerts: Alerts, clock: Clock = CLOCK) -> None:
    """clock_skew while the system clock is off the backend's (detail: seconds it is behind, its reading)."""

    def changed(state: str, skew: int | None) -> None:
        if state == "sane":
            alerts.clear_alert("clock_skew")
        else:
            # the system clock's own reading, beside the corrected raise time, for staff to compare
            alerts.raise_alert("clock_skew", "warning", behind_s="unknown" if skew is None else skew,
                               system_clock=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    clock.on_change = changed


def mark_running(state_dir: Path) -> bool:
    """Leave the run marker; True when the previous run did not stop cleanly."""
    marker = Path(state_dir) / RUN_MARKER
    unclean = marker.exists()
    write_file(marker, f"{os.getpid()}\n".encode("ascii"))  # durable: the next start must see it
    return unclean


def mark_stopped(state_dir: Path) -> None:
    """A clean stop removes the run marker."""
    remove_file(Path(state_dir) / RUN_MARKER)
