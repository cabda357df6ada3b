"""systemd stops the kiosk while a note is still being read, before it reaches escrow: the note is
stacked and credited once, or handed back, before the daemon exits; never left in the validator."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.crash.harness import CrashWorld, Findings

pytestmark = pytest.mark.slow

ACCOUNT = "0012345678"  # reference backend demo account, ¥123.50 due
READING = 1.5  # s the emulator spends in each moving state (a slow note reader): longer than the stop's settle


# the protocols that say a note is being read (ID-003 and CCNET: ACCEPTING; SSP: READ 0); a ccTalk
# device names a note only once it is in escrow: there the device's own escrow time-out hands back
# a note nobody decides on
@pytest.fixture(params=["id003", "ccnet", "ssp"])
async def world(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[CrashWorld]:
    w = CrashWorld(tmp_path, seed=11, driver=request.param, delay=READING)
    await w.start()
    try:
        yield w
    finally:
        await w.close()


async def until(condition: object, what: str, limit: float = 20.0) -> None:
    """Poll `condition()` every 20 ms for at most `limit` s."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not condition():  # type: ignore[operator]
        assert loop.time() < end, f"no {what} within {limit} s"
        await asyncio.sleep(0.02)


async def test_a_note_being_read_at_stop_is_credited_or_handed_back_before_the_daemon_exits(
    world: CrashWorld,
) -> None:
    kiosk = await world.launch()
    try:
        await kiosk.press(*ACCOUNT, "confirm")
        await kiosk.until(lambda s: s["state"] == "payment_confirm", "the confirmation")
        await kiosk.press("confirm")
        await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash step")
        world.validator.insert(2000)
        await kiosk.until(lambda s: s["notes"] == [2000] and s["state"] == "payment_cash_waiting", "note 1")
        world.validator.insert(5000)
        # the reader has the note: systemd stops the kiosk before it reaches escrow
        await until(lambda: world.validator._note == 5000, "note 2 being read")
        assert world.proc is not None
        world.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(world.proc.wait(), 60) == 0
    finally:
        if world.kiosk is not None:
            await world.kiosk.stop()
            world.proc = world.kiosk = None

    # nothing left inside the validator for the next person to find
    assert world.validator._note is None, f"a {world.validator._note} fen note left in the validator"
    handed_back = world.validator.returned + world.validator.rejected  # rejected: refused while inhibited
    assert sorted(world.validator.stacked + handed_back) == [2000, 5000]
    with sqlite3.connect(world.state / "journal.sqlite3") as db:
        notes = [value for (value,) in db.execute("select value from notes order by id")]
        intent = db.execute("select txn, value from stack_intent").fetchall()
    assert notes == world.validator.stacked and intent == []  # the journal says which: in it once, or not at all
    findings = world.check(Findings())
    assert findings.problems == [] and findings.lost == 0 and findings.double_credited == 0
