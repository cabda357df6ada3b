"""Soak: days of traffic in compressed time through the real daemon, and a year's journal.

    python -m bench.soak [--days 7] [--per-day 1440] [--year 525600] [--memtrace]

Each simulated day: `--per-day` payments (one a minute), made back to back; a printer
paper-out and a backend outage (503) of a few payments each; a dual-custody session (two
technicians, the box out and back, the blind count); the daily close. At each day's end
it prints the daemon's RSS, open files, asyncio tasks and the journal's size. At the end:
RSS growth (goal < 5 MB after day 1), the journal's bytes per payment, and for a journal
holding `--year` payments the time of `PRAGMA quick_check` and of a start to READY=1.
With `--memtrace` the daemon traces its allocations (kioskd.system.memtrace: slower): each
day's end prints what Python's objects do not show (glibc malloc in use and held free, SQLite's
own), and the lines whose memory grew most between the first day's end and the last's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

from bench._kiosk import KIOSK, BenchKiosk, launched
from bench.throughput import CustomerPage, open_page, pay
from kioskd.system import memtrace
from tests.daemon import ROOT
from tests.power.outage import open_fds, rss_kb
from tests.power.year import quick_check_seconds, year_journal

TECHS = (("7001", "246810"), ("7002", "135791"))


def kioskctl(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kioskd.cli.main", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=60, check=True)


async def custody_session(page: CustomerPage, bench: BenchKiosk) -> None:
    """Open the box under dual custody, take it out and back, count blind, confirm."""
    socket = str(bench.root / "state" / "control.sock")
    await asyncio.to_thread(kioskctl, "cashbox", "open", "--socket", socket)
    await page.until(lambda s: s["state"] == "maintenance_login", "the technician login")
    for tech, pin in TECHS:
        await page.press(*tech, "confirm", *pin, "confirm")
    await page.until(lambda s: s["state"] == "maintenance_open", "the box released")
    bench.validator.faults["box_removed"] = True
    await page.until(lambda s: s["custody"]["box_out"], "the box out")
    bench.validator.faults["box_removed"] = False
    await page.until(lambda s: s["state"] == "maintenance_count", "the count")
    for count in ("0", "0", "0", "0", "0", "0", "0"):  # per denomination, then counterfeit
        await page.press(*count, "confirm")
    await page.press(*TECHS[0][1], "confirm", *TECHS[1][1], "confirm")
    await page.until(lambda s: s["custody"]["step"] == "ended", "the reconciliation")
    await page.press("confirm")
    await page.until(lambda s: s["state"] == "service_idle", "back in service")


async def one_day(page: CustomerPage, bench: BenchKiosk, per_day: int, steps: dict) -> None:
    for n in range(per_day):
        bench.printer.paper_out = n in range(100, 103)  # a paper-out for three payments
        if n == 200:  # the backend away for ten payments: told pending, sent later
            bench.backend.faults.fail_5xx, bench.backend.faults.paths = 10, ("/v1/payments",)
        await pay(page, bench.validator, steps)
    await custody_session(page, bench)
    await asyncio.to_thread(kioskctl, "report", "close", "--socket", str(bench.root / "state" / "control.sock"))


def status(bench: BenchKiosk) -> dict:
    out = kioskctl("status", "--json", "--socket", str(bench.root / "state" / "control.sock"))
    return json.loads(out.stdout)


def memory_snapshot(pid: int, folder: Path) -> tracemalloc.Snapshot:
    """Ask the daemon for a tracemalloc snapshot (SIGUSR2); it appears whole (renamed into place)."""
    before = set(folder.glob("*.snapshot"))
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + 300
    while not (new := set(folder.glob("*.snapshot")) - before):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no memory snapshot from {pid} in {folder}")
        time.sleep(0.2)  # polling a file another process writes
    path = new.pop()
    outside = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    print("    " + ", ".join(f"{name} {value / 1e6:.1f} MB" for name, value in outside.items()), flush=True)
    return tracemalloc.Snapshot.load(str(path))


def print_growth(first: tracemalloc.Snapshot, last: tracemalloc.Snapshot, top: int = 15) -> None:
    """The allocation sites (with their callers) whose memory grew most from first to last."""
    print(f"memory traced: {sum(s.size for s in first.statistics('filename')) / 1e6:.1f} MB after day 1, "
          f"{sum(s.size for s in last.statistics('filename')) / 1e6:.1f} MB at the end; grown most:")
    for stat in last.compare_to(first, "traceback")[:top]:
        print(f"  {stat.size_diff / 1e6:+.2f} MB in {stat.count_diff:+d} blocks")
        for frame in list(stat.traceback)[-memtrace.FRAMES:]:
            print(f"      {frame.filename.removeprefix(str(ROOT) + '/')}:{frame.lineno}")


def journal_bytes(state: Path) -> int:
    return sum(p.stat().st_size for p in state.glob("journal.sqlite3*"))


async def soak(days: int, per_day: int, trace: bool = False) -> float:
    steps: dict = defaultdict(list)
    snapshots: list[tracemalloc.Snapshot] = []
    async with launched(poll_interval=0.05) as bench:
        state = bench.root / "state"
        for tech, pin in TECHS:
            await asyncio.to_thread(kioskctl, "tech", "--state", str(state), "add", tech, "--name",
                                    f"Tech {tech}", "--pin-stdin", stdin=pin + "\n")
        page = await open_page(bench)
        assert bench.proc is not None
        pid, rows, t0 = bench.proc.pid, [], time.monotonic()
        for day in range(1, days + 1):
            await one_day(page, bench, per_day, steps)
            s = await asyncio.to_thread(status, bench)
            rows.append((day, rss_kb(pid) / 1024, open_fds(pid), s["tasks"], journal_bytes(state)))
            print(f"  day {day}: RSS {rows[-1][1]:.1f} MB, {rows[-1][2]} open files, {rows[-1][3]} tasks, "
                  f"journal {rows[-1][4] / 1e6:.1f} MB, {time.monotonic() - t0:.0f} s", flush=True)
            if trace:
                snapshots.append(await asyncio.to_thread(memory_snapshot, pid, memtrace.folder() or bench.root))
        await page.stop()  # SIGTERM, waited for: a clean stop checkpoints the WAL into the journal
        payments = days * per_day
        credited = len(bench.backend.credits(KIOSK))
        stacked = len(bench.validator.stacked)
        size = (state / "journal.sqlite3").stat().st_size
        check = await asyncio.to_thread(quick_check_seconds, state / "journal.sqlite3")
    grown = rows[-1][1] - rows[0][1]
    print(f"{payments} payments ({credited} credited by the backend, {stacked} notes stacked) "
          f"and {days} custody sessions and daily closes in {time.monotonic() - t0:.0f} s")
    print(f"RSS growth after day 1: {grown:+.1f} MB (goal < 5); open files {rows[0][2]} -> {rows[-1][2]}; "
          f"tasks {rows[0][3]} -> {rows[-1][3]}")
    print(f"journal after {days} days: {size / 1e6:.1f} MB = {size // payments} bytes per payment; "
          f"PRAGMA quick_check {check:.2f} s")
    if len(snapshots) >= 2:
        print_growth(snapshots[0], snapshots[-1])
    return grown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--per-day", type=int, default=1440)
    parser.add_argument("--year", type=int, default=525600, help="payments in the start-up journal")
    parser.add_argument("--memtrace", action="store_true", help="trace the daemon's allocations, print growth")
    args = parser.parse_args()
    print(f"$ python -m bench.soak --days {args.days} --per-day {args.per_day} --year {args.year}"
          f"{' --memtrace' if args.memtrace else ''}", flush=True)
    with tempfile.TemporaryDirectory() as snapshots:
        if args.memtrace:  # the daemon inherits it (bench._kiosk launches with os.environ)
            os.environ[memtrace.ENV] = snapshots
        grown = asyncio.run(soak(args.days, args.per_day, args.memtrace))
        os.environ.pop(memtrace.ENV, None)
    check, ready, size = asyncio.run(year_journal(args.year))
    print(f"a year's journal ({args.year} payments, {size / 1e6:.0f} MB): PRAGMA quick_check {check:.2f} s, "
          f"start to READY=1 {ready:.2f} s (goal < 1 s)")
    return 0 if grown < 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
