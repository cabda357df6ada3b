"""Instructions the backend's worker spends per request, counted by valgrind's callgrind.

Times on a shared machine move with its load; instruction counts do not. The worker starts under
callgrind with instrumentation off (at near full speed), is warmed up, then counts exactly the
measured requests (callgrind_control -i on, then a dump). PostgreSQL's own work is not in it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

KIOSKS = 1000  # the key cache holds every kiosk either way; fewer make the set-up quicker


def instructions_per_request(label: str, db: str | Path, args: argparse.Namespace, accounts: Path) -> str:
    """'label: N instructions per request (M per payment with its share of the mix)' or why not."""
    from bench.fleet_client import drive
    from bench.fleet_load import prepare, serve, workload
    from refbackend.testbed.kiosks import SimKiosk

    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        return f"{label}: valgrind not installed (apt-get install valgrind): no instruction counts"
    rng = random.Random(11)
    kiosks = [SimKiosk(f"K-{i:05d}", f"H-{i % 50:03d}") for i in range(KIOSKS)]
    prepare(db, kiosks, rng)
    with tempfile.TemporaryDirectory() as tmp:
        wrap = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/cg.%p"]
        proc, host, port = serve(db, 1, accounts, wrap)
        try:
            warm, work = workload(host, kiosks, 100, rng), workload(host, kiosks, args.callgrind, rng)
            asyncio.run(drive(host, port, warm, 8))
            _control("-i", "on", proc.pid)
            result = asyncio.run(drive(host, port, work, 8))
            _control("-d", "measured", proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=120)
        dumps = sorted(Path(tmp).glob(f"cg.{proc.pid}.*"))  # cg.PID.1: the dump of the measured requests
        total = _totals(dumps[0]) if dumps else None
    if total is None:
        return f"{label}: no callgrind dump found"
    requests = sum(len(v) for v in result.latency.values())
    payments = len(result.latency["v1/payments"])
    return (f"{label:<10} callgrind, 1 worker: {total / requests / 1e6:.2f} M instructions per request,"
            f" {total / payments / 1e6:.2f} M per payment with its share of the mix ({requests} requests)")


def _control(*argv: object) -> None:
    subprocess.run(["callgrind_control", *map(str, argv)], check=True, capture_output=True, timeout=120)


def _totals(dump: Path) -> int | None:
    for line in dump.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    return None
