"""Benchmark: note counted -> its announcement starts (唱收), through the real daemon.

A customer page pays PAYMENTS bills of NOTES notes each. Each note goes in GAP seconds
after the previous one was counted (a brisk customer; a real validator takes 1-2 s more
to draw a note in), then once more with no gap at all (notes back to back). The daemon
speaks on ALSA's null device (its stream kept open), paced as heard, and keeps each announcement's
times (note counted, announcement started) in its [voice] record directory; the clips come
from the checkout's cache (var/voice-cache, rendered once). Goal: p99 under 1.5 s.
Run from the repository root, in its venv (`make test` builds it):
.venv/bin/python -m bench.voice_latency [PAYMENTS] [NOTES] [--gap SECONDS] [--rate WPM] [--locale en]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._kiosk import ROOT, launched
from bench.throughput import ACCOUNT, open_page

NOTE_VALUES = (10000, 5000, 2000, 1000, 500)


def voice_config(record: Path, rate: int | None) -> str:
    return f"""
[voice]
cache = "{ROOT / 'var' / 'voice-cache'}"
device = "null"
record = "{record}"
""" + (f"rate = {rate}\n" if rate else "")


async def payments(page: Any, emulator: Any, count: int, notes: int, gap: float, record: Path) -> None:
    for paid in range(count):
        await page.press(*ACCOUNT, "confirm")
        await page.until(lambda s: s["state"] == "payment_confirm", "confirm")
        await page.press("confirm")
        await page.until(lambda s: s["state"] == "payment_cash_waiting", "cash")
        for n in range(1, notes + 1):
            emulator.insert(NOTE_VALUES[n % len(NOTE_VALUES)])
            await page.until(lambda s, n=n: len(s["notes"]) == n and s["state"] == "payment_cash_waiting",
                             f"note {n}")
            await asyncio.sleep(gap)  # the customer's hand: the pace being measured
        await page.press("finish")
        await page.until(lambda s: s["state"] == "payment_done", "done")
        # the next customer steps up once this one's result has been said (typing an account
        # number takes longer than that anyway)
        await heard(record, paid + 1)
        await page.press("confirm")
        await page.until(lambda s: s["state"] == "service_idle", "idle")


async def heard(record: Path, want: int) -> list[dict[str, Any]]:
    """Every announcement kept so far, once there are `want` results (bounded wait)."""
    log = record / "announcements.jsonl"
    async with asyncio.timeout(60):
        while True:
            lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
            if sum(1 for a in lines if a["kind"] == "result") >= want:
                return lines
            await asyncio.sleep(0.2)  # the daemon appends to the file; nothing else to wait on


def figures(name: str, said: list[dict[str, Any]]) -> None:
    notes = [a for a in said if a["kind"] == "note"]
    waits = sorted(a["started"] - a["counted"] for a in notes)
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
    cut = sum(1 for a in notes if a["cut"])
    merged = sum(1 for a in notes if "、" in a["text"] or "," in a["text"])  # zh-CN or en lists
    print(f"  {name}: {len(notes)} note announcements, counted -> started median "
          f"{statistics.median(waits) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {waits[-1] * 1000:.0f} ms "
          f"(goal p99 < 1500 ms); {cut} running totals cut short by a newer note, {merged} said with the next")
    for part, begin, end in (("queue wait", "counted", "dequeued"), ("compose", "dequeued", "composed"),
                             ("player start", "composed", "started")):
        spans = sorted(a[end] - a[begin] for a in notes)
        print(f"    {part}: median {statistics.median(spans) * 1000:.0f} ms, "
              f"p99 {spans[min(len(spans) - 1, int(len(spans) * 0.99))] * 1000:.0f} ms")


async def main(count: int, notes: int, gap: float, verbose: bool = False, rate: int | None = None,
               locale: str = "zh-CN") -> None:
    shown = (f" --rate {rate}" if rate else "") + (f" --locale {locale}" if locale != "zh-CN" else "")
    print(f"$ python -m bench.voice_latency {count} {notes} --gap {gap:g}{shown}   (load: {os.getloadavg()[0]:.2f})")
    for name, pace in ((f"{gap:g} s between notes", gap), ("notes back to back", 0.0)):
        with tempfile.TemporaryDirectory() as tmp:
            record = Path(tmp) / "heard"
            async with launched(poll_interval=0.05, extra=voice_config(record, rate)) as bench:
                page = await open_page(bench)
                if locale != "zh-CN":  # the language key; the kiosk keeps it for the next customers
                    await page.press("lang")
                    await page.until(lambda s: s["locale"] == locale, "language")
                t0 = time.monotonic()
                await payments(page, bench.validator, count, notes, pace, record)
                said = await heard(record, count)
                await page.stop()
            if verbose:
                for a in said:
                    print(f"    {a['started'] - a['counted']:6.3f} s  {a['text']}")
        figures(f"{name} ({time.monotonic() - t0:.0f} s)", said)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Note counted -> announcement start, through kioskd.")
    parser.add_argument("payments", nargs="?", type=int, default=8)
    parser.add_argument("notes", nargs="?", type=int, default=5)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between a note counted and the next")
    parser.add_argument("--rate", type=int, help="[voice] rate (words per minute) instead of its default")
    parser.add_argument("--locale", choices=("zh-CN", "en"), default="zh-CN", help="the language spoken")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every announcement")
    args = parser.parse_args()
    asyncio.run(main(args.payments, args.notes, args.gap, args.verbose, args.rate, args.locale))
