"""Benchmark: wall and CPU seconds of one `kioskctl` invocation (a fresh interpreter each time).

The commands run against a bench kiosk (bench._kiosk: the real daemon on emulators), so `status`
makes its real round trip on the control socket and `audit verify` walks a real journal. Each
command runs RUNS times as a subprocess; the median wall and CPU (user + system, from the
children's rusage) are printed, with `uptime`'s load average before and after.

Run from the repository root, in its venv: .venv/bin/python -m bench.kioskctl_start [RUNS]
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time

from bench._kiosk import ROOT, launched

# (what the row says, the arguments after `kioskctl --config FILE`)
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("--help", ("--help",)),
    ("status (daemon running)", ("status",)),
    ("status --json (daemon running)", ("status", "--json")),
    ("alerts (daemon running)", ("alerts",)),
    ("audit verify (offline: the journal)", ("audit", "verify")),
)


def load() -> str:
    """The load average, as `uptime` prints it."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_once(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and exit status of one kioskctl run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


async def main(runs: int) -> None:
    print(f"$ python -m bench.kioskctl_start {runs}")
    print(f"load average before: {load()}")
    async with launched() as kiosk:
        base = [sys.executable, "-m", "kioskd.cli.main", "--config", str(kiosk.root / "kioskd.toml")]
        for label, extra in COMMANDS:
            # subprocess.run blocks the loop: the daemon is another process, the bench's emulators idle
            results = [await asyncio.to_thread(run_once, [*base, *extra]) for _ in range(runs)]
            walls, cpus, codes = zip(*results, strict=True)
            print(f"kioskctl {label}: n={runs} wall median {statistics.median(walls):.3f} s "
                  f"(min {min(walls):.3f}), CPU median {statistics.median(cpus):.3f} s "
                  f"(min {min(cpus):.3f}); exit {sorted(set(codes))}")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
