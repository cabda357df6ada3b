"""Benchmark: the daemon's CPU while a customer stands at the cash screen (validator enabled).

Enabled, the ID-003 driver polls every 5 ms (drivers/validator/link.FAST_POLL) so a
note is seen as soon as it goes in; inhibited, it polls at the configured rate (bench.idle).
This prints what that costs: the daemon waits in payment_cash_waiting for SECONDS with no
note, then the customer walks away (cancel).
Run from the repository root, in its venv (`make test` builds it): .venv/bin/python -m bench.cash_cpu [SECONDS]
"""

from __future__ import annotations

import asyncio
import sys

from bench._kiosk import launched
from bench.idle import cpu_over
from bench.throughput import ACCOUNT, open_page


async def main(seconds: float) -> None:
    async with launched(poll_interval=0.2) as kiosk:
        assert kiosk.proc is not None
        page = await open_page(kiosk)
        await page.press(*ACCOUNT, "confirm")
        await page.until(lambda s: s["state"] == "payment_confirm", "confirm")
        await page.press("confirm")
        await page.until(lambda s: s["state"] == "payment_cash_waiting", "cash")
        seen = len(kiosk.validator.log)
        cpu, wall = await cpu_over(kiosk.proc.pid, seconds)  # a customer looking for a note
        state = page.snapshot["state"]
        polls = sum(1 for _, way, cmd in kiosk.validator.log[seen:] if way == "rx" and cmd == 0x11)
        await page.press("cancel")
        await page.until(lambda s: s["state"] == "service_idle", "idle")
        await page.stop()
    print(f"$ python -m bench.cash_cpu {seconds:g}")
    print(f"{state} for {wall:.0f} s, validator enabled: CPU {cpu:.2f} % of one core, "
          f"{polls / wall:.0f} status polls per second")


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0))
