"""A kiosk whose clock is years off, then stepped by hours while running (libfaketime).

The backend (in this process) keeps the true time; the daemon runs under libfaketime. The
customer still pays (a look-up signed with a wrong time is signed again with the backend's),
the payment is credited, never flagged, the journal and the receipt carry the true time, and
staff see `clock_skew` until the clock agrees again.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.crash.harness import CrashWorld
from tests.daemon import STEP, faketime_env

pytestmark = pytest.mark.slow

async def pay(world: CrashWorld, value: int) -> dict:
    """One payment of one note, to its end; the done screen."""
    kiosk = world.kiosk
    assert kiosk is not None
    await kiosk.press(*"0012345678", "confirm")
    await kiosk.until(lambda s: s["state"] == "payment_confirm", "the holder and amount due")
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash step")
    world.validator.insert(value)
    await kiosk.until(lambda s: len(s["notes"]) == 1, "the note counted")
    await kiosk.press("finish")
    done = await kiosk.until(lambda s: s["state"] in ("payment_done", "payment_help"), "the result")
    await kiosk.press("cancel")
    await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
    return done


def alert_states(world: CrashWorld) -> list[str]:
    with world._journal() as db:
        return [json.loads(body)["state"] for (body,) in db.execute(
            "select body from outbox where kind = 'alert' order by id")
            if json.loads(body)["code"] == "clock_skew"]


async def until(condition: Callable[[], bool], what: str) -> None:
    """Poll the journal (another process's file) until `condition`, for at most STEP seconds."""
    deadline = asyncio.get_running_loop().time() + STEP
    while True:
        if condition():
            return
        assert asyncio.get_running_loop().time() < deadline, f"waited {STEP}s for {what}"
        await asyncio.sleep(0.1)


async def test_a_clock_years_off_then_stepped_by_hours(libfaketime: str, tmp_path: Path) -> None:
    # the receipts' date is the kiosk's (Shanghai) day: a run across its midnight prints either
    days = {datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")}
    fake = tmp_path / "faketime"
    fake.write_text("-3y\n", encoding="ascii")  # a flat RTC battery: three years behind
    world = CrashWorld(tmp_path, seed=1)
    world.env = faketime_env(libfaketime, fake)
    try:
        await world.start()
        await world.launch()
        done = await pay(world, 2000)
        assert done["state"] == "payment_done" and done["result"]["status"] == "credited"
        await until(lambda: alert_states(world)[:1] == ["raised"], "clock_skew raised")

        fake.write_text("+5h\n", encoding="ascii")  # stepped while running
        done = await pay(world, 5000)
        assert done["result"]["status"] == "credited"

        fake.write_text("+0\n", encoding="ascii")  # NTP came back
        await pay(world, 1000)
        await until(lambda: alert_states(world)[-1:] == ["cleared"], "clock_skew cleared")
        await world.settle()
    finally:
        await world.close()

    now = datetime.now(UTC)
    with world._journal() as db:
        rows = db.execute("select state, started, ended from txns where amount > 0 order by seq").fetchall()
    assert [state for state, _, _ in rows] == ["credited"] * 3
    for _, started, ended in rows:  # the backend's time, not the kiosk's
        for stamp in (started, ended):
            assert abs(datetime.fromisoformat(stamp.replace("Z", "+00:00")) - now) < timedelta(minutes=5)
    days.add(now.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d"))
    times = [line for receipt in world.printer.receipts for line in receipt.lines if line.startswith("时间")]
    assert len(times) == 3 and all(any(day in line for day in days) for line in times), times
    assert world.backend.credits("K-CRASH-1") == {txn: amount for txn, amount in _credited(world)}


def _credited(world: CrashWorld) -> list[tuple[str, int]]:
    with sqlite3.connect(f"file:{world.state / 'journal.sqlite3'}?mode=ro", uri=True) as db:
        return db.execute("select id, amount from txns where state = 'credited'").fetchall()
