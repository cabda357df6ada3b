"""Benchmark: the backend away for 72 h at one payment a minute (4,320 payments), then the drain.

    python -m bench.long_outage [--payments 4320]

The payments are made back to back (simulated time: one a "minute", compressed) through the
real daemon while the reference backend answers 503 to every credit, batch, alert and status
report (look-ups still answer). Each customer must be told "pending". It prints the daemon's
RSS and open files along the way, then brings the backend back and prints how fast the
outbox drains: every payment credited once, in seq order.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from tests.crash.harness import KIOSK, CrashWorld, Findings
from tests.power.outage import (
    arrival_seqs,
    backend_away,
    backend_back,
    journal_states,
    open_fds,
    pay,
    poll_until,
    rss_kb,
)


async def main(payments: int) -> int:
    with tempfile.TemporaryDirectory(prefix="kioskd-outage-") as tmp:
        world = CrashWorld(Path(tmp), seed=1)
        world.backend_config = "timeout = 0.5\nstatus_every = 5.0"  # look-ups must answer under load
        try:
            await world.start()
            kiosk = await world.launch()
            assert world.proc is not None
            pid = world.proc.pid
            backend_away(world)
            started, base = time.monotonic(), rss_kb(pid)
            print(f"backend away; daemon RSS {base / 1024:.1f} MB, {open_fds(pid)} open files", flush=True)
            for n in range(1, payments + 1):
                result = await pay(kiosk, world, 1000)
                assert result["status"] == "pending", result
                if n % 500 == 0 or n == payments:
                    print(f"  {n:5} pending: RSS {rss_kb(pid) / 1024:.1f} MB, {open_fds(pid)} open files, "
                          f"{time.monotonic() - started:.0f} s", flush=True)
            grown = (rss_kb(pid) - base) / 1024
            backend_back(world)
            t0 = time.monotonic()
            await poll_until(lambda: journal_states(world) == {"credited": payments}, "the drain",
                             within=3600)
            drain = time.monotonic() - t0
            await world.settle()
        finally:
            await world.close()
        order_kept = arrival_seqs(world) == list(range(1, payments + 1))
        findings = world.check(Findings())
    print(f"$ python -m bench.long_outage --payments {payments}")
    print(f"{payments} payments pending through the outage; daemon RSS grew {grown:+.1f} MB")
    print(f"drained in {drain:.1f} s = {payments / drain:.0f} payments/s after the backend came back "
          f"(includes up to status_every = 5 s before the first answer); in seq order: {order_kept}; "
          f"credited by the backend: {len(world.backend.credits(KIOSK))}; "
          f"lost {findings.lost}, double credited {findings.double_credited}")
    for problem in findings.problems:
        print("  PROBLEM:", problem)
    return 0 if order_kept and not findings.problems else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=4320)
    raise SystemExit(asyncio.run(main(parser.parse_args().payments)))
