"""systemd watchdog: WATCHDOG=1 only while the event loop and every device task make progress."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kioskd.system.notify import notify

log = logging.getLogger("kioskd.system.watchdog")


@dataclass(frozen=True)
class Probe:
    """One thing that must make progress: `check()` returns None when healthy, else why not."""

    name: str
    check: Callable[[], str | None]


class Progressing(Protocol):
    """A device loop that stamps its progress (drivers: each completed poll or read)."""

    @property
    def last_progress(self) -> float:
        """time.monotonic() of the last completed poll."""
        ...


def task_probe(name: str, task: asyncio.Task[Any]) -> Probe:
    """Healthy while the task runs (a device task that ended, even by a crash, polls no more)."""
    return Probe(name, lambda: "task ended" if task.done() else None)


def heartbeat_probe(name: str, device: Progressing, stall_after: float) -> Probe:
    """Healthy while `device.last_progress` (monotonic seconds) is at most `stall_after` old."""

    def check() -> str | None:
        age = time.monotonic() - device.last_progress
        return f"no progress for {age:.1f} s" if age > stall_after else None

    return Probe(name, check)


class Watchdog:
    """Pings systemd every timeout/4 while no probe reports a stall; the loop itself is implied."""

    def __init__(self, timeout: float, probes: Sequence[Probe],
                 send: Callable[..., bool] = notify) -> None:
        self.timeout = timeout
        self.interval = timeout / 4  # systemd suggests half; a quarter survives one late tick
        self.probes = list(probes)
        self.send = send
        self.stalled: dict[str, str] = {}
        self.pings = 0

    def check(self) -> dict[str, str]:
        """Every probe that is not healthy now, with its reason."""
        found = {}
        for probe in self.probes:
            reason = probe.check()
            if reason is not None:
                found[probe.name] = reason
        return found

    def tick(self) -> bool:
        """Check the probes once; ping systemd when all are healthy. True when it pinged."""
        stalled = self.check()
        if stalled != self.stalled:
            if stalled:
                what = ", ".join(f"{name} {why}" for name, why in sorted(stalled.items()))
                # no more pings: systemd kills and restarts us after WatchdogSec, and
                # recovery at start-up settles any note that was in flight
                log.critical("watchdog: %s; no longer pinging systemd", what)
                self.send(f"STATUS=stalled: {what}")
            else:
                log.warning("watchdog: every device task makes progress again")
            self.stalled = stalled
        if stalled:
            return False
        self.pings += 1
        return self.send("WATCHDOG=1")

    async def run(self) -> None:
        """Tick until cancelled; a blocked event loop stops the ticks, hence the pings."""
        while True:
            self.tick()
            await asyncio.sleep(self.interval)


class Printer(Progressing, Protocol):
    """The printer driver: its healthy loop (a job, then status) may take this long between stamps."""

    @property
    def progress_window(self) -> float: ...


def device_watchdog(timeout: float, tasks: Sequence[asyncio.Task[Any]], validator: Progressing,
                    printer: Printer, door: Progressing | None) -> Watchdog:
    """Under WatchdogSec=: ping only while the pump and the device tasks run and poll."""
    watched = ("event-pump", "validator", "printer", "keypad", "door")
    probes = [task_probe(t.get_name(), t) for t in tasks if t.get_name() in watched]
    # half the timeout: systemd still sees a late ping before it gives up on us; a device
    # whose healthy loop is slower (printer: a job, then status) gets twice its window
    half = timeout / 2
    probes.append(heartbeat_probe("validator poll", validator, half))
    probes.append(heartbeat_probe("printer status", printer, max(half, 2 * printer.progress_window)))
    if door is not None:
        probes.append(heartbeat_probe("door switch", door, half))
    # the keypad task only waits for keys: "still running" is all it can show
    return Watchdog(timeout, probes)
