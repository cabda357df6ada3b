"""Benchmark: whole payments per minute through the real daemon with zero-delay emulators.

Each payment: account number and confirm on the screen keypad, confirm the holder, one
¥100 note, finish, backend credit, printed receipt, back to idle. Goal: >= 600 per minute.
The client is the customer page: keys go over its WebSocket (as app.js sends them) and it
waits for every screen the customer would see before the next step. It prints the median
time of each step next to the total.
Run from the repository root, in its venv (`make test` builds it): .venv/bin/python -m bench.throughput [SECONDS] [--validator DRIVER]
(DRIVER: id003 (default), ssp, ccnet or cctalk; the daemon runs that driver on its emulator).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import defaultdict
from typing import Any

from bench._kiosk import KIOSK, BenchKiosk, launched
from drivers.registry import NAMES
from tests.daemon import RunningKiosk  # the screen + WebSocket driver the scenario tests use

ACCOUNT = "0012345678"


class CustomerPage(RunningKiosk):
    """The customer page: keys over the snapshot WebSocket, like app.js's sendKey."""

    async def press(self, *keys: str) -> None:
        """Send keys in order on the page's WebSocket."""
        assert self._ws is not None
        for key in keys:
            await self._ws.send_str(json.dumps({"key": key}))


async def open_page(kiosk: BenchKiosk, page_class: type[CustomerPage] = CustomerPage) -> CustomerPage:
    """The customer page of a launched bench kiosk, connected and showing the idle screen."""
    assert kiosk.proc is not None
    page = page_class(kiosk.proc, kiosk.page_url(), kiosk.root / "state")
    await page.connect()
    await page.until(lambda s: s.get("state") == "service_idle", "idle")
    return page


async def pay(page: CustomerPage, emulator: Any, steps: dict[str, list[float]]) -> None:
    """One payment, waiting for each screen; adds each step's seconds to `steps`."""
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name].append(now - t)
        t = now

    await page.press(*ACCOUNT, "confirm")
    await page.until(lambda s: s["state"] == "payment_confirm", "confirm")
    lap("account + look-up")
    await page.press("confirm")
    await page.until(lambda s: s["state"] == "payment_cash_waiting", "cash")
    lap("confirm -> cash")
    emulator.insert(10000)
    await page.until(lambda s: s["total"] == 10000 and s["state"] == "payment_cash_waiting", "note")
    lap("note slot -> counted")
    await page.press("finish")
    await page.until(lambda s: s["state"] == "payment_done", "done")
    lap("finish -> credited + printed")
    await page.press("confirm")
    await page.until(lambda s: s["state"] == "service_idle", "idle")
    lap("done -> idle")


async def main(seconds: float, validator: str = "id003") -> None:
    steps: dict[str, list[float]] = defaultdict(list)
    # the fastest [validator] poll_interval
    async with launched(poll_interval=0.05, validator=validator) as bench:
        page = await open_page(bench)
        done, t0 = 0, time.monotonic()
        while time.monotonic() - t0 < seconds:
            await pay(page, bench.validator, steps)
            done += 1
        wall = time.monotonic() - t0
        await page.stop()
        # the money really moved: notes in the emulator's box, credits in the backend's store
        receipts, stacked = len(bench.printer.receipts), len(bench.validator.stacked)
        credited = len(bench.backend.credits(KIOSK))
    print(f"$ python -m bench.throughput {seconds:g} --validator {validator}")
    print(f"{done} payments in {wall:.1f} s = {done * 60 / wall:.0f} per minute "
          f"({validator}, validator poll 0.05 s, zero-delay emulators; {stacked} notes stacked, {credited} "
          f"credited by the backend, {receipts} receipts printed; goal >= 600)")
    for name, values in steps.items():
        print(f"  {name:30s} median {statistics.median(values) * 1000:5.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Whole payments per minute through kioskd.")
    parser.add_argument("seconds", nargs="?", type=float, default=30.0)
    parser.add_argument("--validator", choices=NAMES, default="id003",
                        help="the [validator] driver, run on its wire emulator")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.validator))
