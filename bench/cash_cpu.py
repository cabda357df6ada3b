"""Benchmark: the daemon's CPU while a customer stands at the cash screen (validator enabled).

Enabled, the ID-003 driver polls every 5 ms (drivers/validator/id003_device.FAST_POLL) so a
note is seen as soon as it goes in; inhibited, it polls at the configured rate (bench.idle).
This prints what that costs: the daemon waits in payment_cash_waiting for SECONDS with no
note, then the customer walks away (cancel).
Run: cd /work/main && /work/venv/bin/python -m bench.cash_cpu [SECONDS]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench._kiosk import BenchKiosk
from bench.idle import cpu_seconds
from bench.throughput import ACCOUNT, CustomerPage


async def main(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        kiosk = BenchKiosk(Path(tmp), poll_interval=0.2)
        await kiosk.setup()
        try:
            await kiosk.launch()
            assert kiosk.proc is not None
            page = CustomerPage(kiosk.proc, kiosk.url, Path(tmp) / "state")
            await page.connect()
            await page.until(lambda s: s.get("state") == "service_idle", "idle")
            await page.press(*ACCOUNT, "confirm")
            await page.until(lambda s: s["state"] == "payment_confirm", "confirm")
            await page.press("confirm")
            await page.until(lambda s: s["state"] == "payment_cash_waiting", "cash")
            seen = len(kiosk.validator.log)
            c0, t0 = cpu_seconds(kiosk.proc.pid), time.monotonic()
            await asyncio.sleep(seconds)  # the measured period: a customer looking for a note
            cpu, wall = cpu_seconds(kiosk.proc.pid) - c0, time.monotonic() - t0
            state = page.snapshot["state"]
            polls = sum(1 for _, way, cmd in kiosk.validator.log[seen:] if way == "rx" and cmd == 0x11)
            await page.press("cancel")
            await page.until(lambda s: s["state"] == "service_idle", "idle")
            await page.stop()
        finally:
            await kiosk.stop()
    print(f"$ python -m bench.cash_cpu {seconds:g}")
    print(f"{state} for {wall:.0f} s, validator enabled: CPU {100 * cpu / wall:.2f} % of one core, "
          f"{polls / wall:.0f} status polls per second")


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0))
