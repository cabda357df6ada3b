"""Benchmark: idle RSS and CPU of the daemon, validator polled at the configured rate (0.2 s).

The emulators run in this process, so the figures are the daemon's own.
Run: cd /work/main && /work/venv/bin/python -m bench.idle [SECONDS]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from bench._kiosk import BenchKiosk

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def main(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        kiosk = BenchKiosk(Path(tmp), poll_interval=0.2)
        await kiosk.setup()
        try:
            await kiosk.launch()
            assert kiosk.proc is not None
            pid = kiosk.proc.pid
            await asyncio.sleep(2)  # let start-up work (first batch, screen) finish
            c0, t0 = cpu_seconds(pid), time.monotonic()
            await asyncio.sleep(seconds)  # the measured idle period itself
            cpu, wall = cpu_seconds(pid) - c0, time.monotonic() - t0
            rss = rss_mb(pid)
        finally:
            await kiosk.stop()
    print(f"$ python -m bench.idle {seconds:g}")
    print(f"idle over {wall:.0f} s, validator polled every 0.2 s: CPU {100 * cpu / wall:.2f} % of one core "
          f"(goal < 1 %), RSS {rss:.1f} MB (goal < 60 MB)")


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0))
