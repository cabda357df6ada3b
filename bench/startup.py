"""Benchmark: seconds from exec of `kioskd run` to READY=1 (journal open, recovery, devices probed).

Run from the repository root, in its venv (`make test` builds it): .venv/bin/python -m bench.startup [RUNS]
"""

from __future__ import annotations

import asyncio
import statistics
import sys

from bench._kiosk import launched


async def one() -> float:
    async with launched() as kiosk:
        return kiosk.ready_after


async def main(runs: int) -> None:
    times = [await one() for _ in range(runs)]
    print(f"$ python -m bench.startup {runs}")
    print(f"start to READY=1: n={runs} median={statistics.median(times):.2f} s "
          f"min={min(times):.2f} s max={max(times):.2f} s (fresh state dir each run)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
