"""A long backend outage: payments made while the backend cannot credit them, then the drain."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.crash.harness import KIOSK, CrashWorld
from tests.daemon import RunningKiosk

ACCOUNT = "0012345678"
# the billing side is away; account look-ups (another service at many operators) still answer
AWAY = ("/v1/payments", "/v1/batches", "/v1/alerts", "/v1/status")


def backend_away(world: CrashWorld) -> None:
    """Every credit, batch, alert and status report answered 503 until backend_back."""
    world.backend.faults.fail_5xx, world.backend.faults.paths = 10**9, AWAY


def backend_back(world: CrashWorld) -> None:
    world.backend.faults.fail_5xx, world.backend.faults.paths = 0, None


async def pay(kiosk: RunningKiosk, world: CrashWorld, value: int) -> dict:
    """One payment of one note, to the result screen and back to idle; the result."""
    await kiosk.press(*ACCOUNT, "confirm")
    await kiosk.until(lambda s: s["state"] == "payment_confirm", "the holder and amount due")
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash step")
    world.validator.insert(value)
    await kiosk.until(lambda s: s["total"] == value and s["state"] == "payment_cash_waiting", "the note")
    await kiosk.press("finish")
    done = await kiosk.until(lambda s: s["state"] in ("payment_done", "payment_help"), "the result")
    await kiosk.press("cancel")
    await kiosk.until(lambda s: s["state"] in ("service_idle", "unavailable"), "the next customer's screen")
    return done["result"]


def journal_states(world: CrashWorld) -> dict[str, int]:
    """How many payments that took cash are in each state."""
    with world._journal() as db:
        return dict(db.execute("select state, count(*) from txns where amount > 0 group by state"))


def arrival_seqs(world: CrashWorld) -> list[int]:
    """The kiosk's payment seqs in the order the backend received them (first time)."""
    with sqlite3.connect(f"file:{world.root / 'backend.sqlite3'}?mode=ro", uri=True) as db:
        return [seq for (seq,) in db.execute(
            "select json_extract(payload, '$.seq') from payments where kiosk = ? order by id", (KIOSK,))]


async def poll_until(condition: Callable[[], bool], what: str, within: float = 60.0) -> None:
    """Poll another process's files until `condition`, for at most `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"waited {within}s for {what}"
        await asyncio.sleep(0.1)


def rss_kb(pid: int) -> int:
    """Resident memory of a process (kB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
