"""Benchmark: whole payments per minute through the real daemon with zero-delay emulators.

Each payment: account number and confirm on the screen keypad, confirm the holder, one
¥100 note, finish, backend credit, printed receipt, back to idle. Goal: >= 600 per minute.
Run: cd /work/main && /work/venv/bin/python -m bench.throughput [SECONDS]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench._kiosk import BenchKiosk
from tests.daemon import RunningKiosk  # the screen + WebSocket driver the scenario tests use

ACCOUNT = "0012345678"


async def pay(kiosk: RunningKiosk, emulator: object) -> None:
    await kiosk.press(*ACCOUNT, "confirm")
    await kiosk.until(lambda s: s["state"] == "payment_confirm", "confirm")
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "cash")
    emulator.insert(10000)  # type: ignore[attr-defined]
    await kiosk.until(lambda s: s["total"] == 10000 and s["state"] == "payment_cash_waiting", "note")
    await kiosk.press("finish")
    await kiosk.until(lambda s: s["state"] == "payment_done", "done")
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "service_idle", "idle")


async def main(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bench = BenchKiosk(Path(tmp), poll_interval=0.05)  # the fastest [validator] poll_interval
        await bench.setup()
        try:
            await bench.launch()
            assert bench.proc is not None
            kiosk = RunningKiosk(bench.proc, bench.url, Path(tmp) / "state")
            await kiosk.connect()
            await kiosk.until(lambda s: s.get("state") == "service_idle", "idle")
            done, t0 = 0, time.monotonic()
            while time.monotonic() - t0 < seconds:
                await pay(kiosk, bench.validator)
                done += 1
            wall = time.monotonic() - t0
            await kiosk.stop()
            receipts = len(bench.printer.receipts)
        finally:
            await bench.stop()
    print(f"$ python -m bench.throughput {seconds:g}")
    print(f"{done} payments in {wall:.1f} s = {done * 60 / wall:.0f} per minute "
          f"(validator poll 0.05 s, zero-delay emulators, {receipts} receipts printed; goal >= 600)")


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0))
