"""The daily close's chain entry with many open count differences: its size and the close's time.

A fresh journal gets `--open` differences nobody settles (counts of 1,440 notes each, kinds and
values in turn, the last count today), then the day is closed as the daemon does (DailyClose.close);
the figures are the close entry's canonical JSON in bytes and the close's wall time.

    python -m bench.close_size --open 1440 --open 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from kioskd.hall.reports import DailyClose
from kioskd.ledger import Ledger

TZ = "Asia/Shanghai"
PER_COUNT = 1440  # one soak day's notes, each a difference when the count typed 0
KINDS = [("short", 5000), ("short", 10000), ("over", 2000), ("counterfeit", 10000)]


async def _differences(ledger: Ledger, n: int) -> None:
    for start in range(0, n, PER_COUNT):
        session = f"bench-{start}"
        diffs: list[dict[str, Any]] = []
        fakes: list[dict[str, Any]] = []
        for i in range(start, min(n, start + PER_COUNT)):
            kind, value = KINDS[i % len(KINDS)]
            if kind == "counterfeit":
                fakes.append({"value": value, "serial": f"WR{i:08d}"})
                diffs.append({"kind": kind, "value": value, "counterfeit": len(fakes) - 1})
            else:
                diffs.append({"kind": kind, "value": value})
        await ledger.custody_open(session, "service_key")
        await ledger.registers.record_count(session, "B-1", {"session": session}, {"session": session}, fakes, diffs)


async def measure(n: int) -> tuple[int, float]:
    """(bytes of the close's chain entry data, seconds the close took) with `n` open differences."""
    with tempfile.TemporaryDirectory() as tmp:
        ledger = await Ledger.open(Path(tmp), "K-BENCH-01", "CNY")
        try:
            await _differences(ledger, n)
            kiosk = SimpleNamespace(id="K-BENCH-01", currency="CNY", tz=TZ, locale="zh-CN")
            close = DailyClose(ledger, None, kiosk=kiosk, encoding="gb18030",  # type: ignore[arg-type]
                               flush=lambda why: None, at="23:30", printed=False, state_file=Path(tmp) / "close.json")
            started = time.perf_counter()
            report = await close.close(datetime.now(ZoneInfo(TZ)).date())
            took = time.perf_counter() - started
            seq = report["audit"]["seq"]
            [entry] = await ledger.audit_entries(seq - 1, 1)
            return len(json.dumps(entry["data"], ensure_ascii=False, separators=(",", ":")).encode()), took
        finally:
            await ledger.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, action="append", help="open differences (repeat for more runs)")
    for n in parser.parse_args().open or [1440, 10000]:
        size, took = asyncio.run(measure(n))
        print(f"{n:>6} open differences: close entry {size:>9,} bytes, close {took * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
