"""Benchmark: idle RSS and CPU of the daemon, fresh and after it has taken payments.

The validator is polled at the configured rate (0.2 s). First the fresh daemon idles for
SECONDS; then a customer page pays PAYMENTS bills (one ¥100 note each, backend credit,
printed receipt: bench.throughput's `pay`), disconnects, and the daemon idles for SECONDS
again. The emulators, backend and page run in this process, so the figures are the
daemon's own.
Run from the repository root, in its venv (`make test` builds it): .venv/bin/python -m bench.idle [SECONDS] [PAYMENTS]
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench._kiosk import KIOSK, launched
from bench.throughput import CustomerPage, open_page, pay

TICK = os.sysconf("SC_CLK_TCK")
SETTLE = 2.0  # seconds for start-up or payment follow-up work (batch, screen) to finish


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A /proc/<pid>/status memory line (VmRSS now, VmHWM peak) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for pid {pid}")


class LeavingPage(CustomerPage):
    """The customer page that can go away without stopping the daemon."""

    async def disconnect(self) -> None:
        """Close the WebSocket and the HTTP session; the daemon keeps running."""
        if self._reader is not None:
            self._reader.cancel()
        await self._session.close()


async def cpu_over(pid: int, seconds: float) -> tuple[float, float]:
    """The process's CPU over the next `seconds`: (% of one core, wall seconds)."""
    c0, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)  # the measured period itself
    cpu, wall = cpu_seconds(pid) - c0, time.monotonic() - t0
    return 100 * cpu / wall, wall


async def idle(pid: int, seconds: float) -> tuple[float, float, float]:
    """Idle for `seconds` after settling; (CPU % of one core, RSS MB, wall seconds)."""
    await asyncio.sleep(SETTLE)  # not measured: let follow-up work finish first
    cpu, wall = await cpu_over(pid, seconds)
    return cpu, memory_mb(pid), wall


async def main(seconds: float, payments: int) -> None:
    async with launched(poll_interval=0.2) as kiosk:
        assert kiosk.proc is not None
        pid = kiosk.proc.pid
        fresh = await idle(pid, seconds)
        page = await open_page(kiosk, LeavingPage)
        steps: dict[str, list[float]] = defaultdict(list)
        for _ in range(payments):
            await pay(page, kiosk.validator, steps)
        await page.disconnect()
        after = await idle(pid, seconds)
        peak = memory_mb(pid, "VmHWM")
        receipts, credited = len(kiosk.printer.receipts), len(kiosk.backend.credits(KIOSK))
    print(f"$ python -m bench.idle {seconds:g} {payments}")
    for label, (cpu, rss, wall) in (("fresh", fresh), (f"after {payments} payments", after)):
        print(f"idle over {wall:.0f} s, {label}, validator polled every 0.2 s: CPU {cpu:.2f} % of one core "
              f"(goal < 1 %), RSS {rss:.1f} MB (goal < 60 MB)")
    print(f"peak RSS {peak:.1f} MB; {credited} payments credited by the backend, {receipts} receipts printed")


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(float(args[0]) if args else 60.0, int(args[1]) if len(args) > 1 else 20))
