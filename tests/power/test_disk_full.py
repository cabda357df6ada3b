"""The state folder fills up or turns read-only under the running daemon (a FUSE file system).

A note on its way is not acknowledged until the journal holds it, and the customer is told
to wait; a note offered while nothing can be recorded is handed back with the reason; the
kiosk goes out of service after the payment with an alert, and comes back by itself once
the folder takes writes again. Nothing is lost or credited twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from kioskd.ledger import Ledger
from kioskd.ledger.schema import JOURNAL_FILE
from tests.crash.harness import Findings
from tests.daemon import STEP, RunningKiosk, start_kiosk
from tests.ledger.conftest import paid
from tests.power.harness import PowerWorld

pytestmark = pytest.mark.slow


async def start_payment(kiosk: RunningKiosk) -> None:
    await kiosk.press(*"0012345678", "confirm")
    await kiosk.until(lambda s: s["state"] == "payment_confirm", "the holder and amount due")
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash step")


async def insert_counted(world: PowerWorld, kiosk: RunningKiosk, value: int) -> None:
    counted = len(kiosk.snapshot["notes"])
    world.validator.insert(value)
    await kiosk.until(lambda s: len(s["notes"]) > counted, f"the {value} fen note counted")


async def finish(kiosk: RunningKiosk) -> dict:
    await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "ready to finish")
    await kiosk.press("finish")
    return await kiosk.until(lambda s: s["state"] in ("payment_done", "payment_help"), "the result")


def intent(world: PowerWorld) -> int | None:
    """The note the journal expects in the box next (its stack intent), if any."""
    with world._journal() as db:
        row = db.execute("select value from stack_intent").fetchone()
    return row[0] if row else None


async def until(condition: Callable[[], object], what: str) -> None:
    """Poll another process's state until `condition`, for at most STEP seconds."""
    deadline = asyncio.get_running_loop().time() + STEP
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"waited {STEP}s for {what}"
        await asyncio.sleep(0.01)


async def test_a_full_then_read_only_state_folder(fuse: None, tmp_path: Path) -> None:
    world = PowerWorld(tmp_path, seed=1)
    try:
        await world.start()
        kiosk = await world.launch()
        await start_payment(kiosk)
        await insert_counted(world, kiosk, 2000)

        # the disk fills while a note is being stacked: its credit cannot be journalled
        world.validator.delay = 0.5  # the device takes its time: the disk fills meanwhile
        world.validator.insert(5000)
        await until(lambda: intent(world) == 5000, "the stack intent journalled")
        await world.mount.command("full")
        snap = await kiosk.until(lambda s: "storage_wait" in s["notices"], "the customer told to wait")
        assert snap["notes"] == [2000] and world.validator.stacked == [2000]  # not acknowledged
        await world.mount.command("space")
        snap = await kiosk.until(lambda s: s["notes"] == [2000, 5000], "the note recorded")
        world.validator.delay = 0.0
        done = await finish(kiosk)
        assert done["result"]["status"] == "credited" and done["result"]["amount"] == 7000

        # out of service after the payment, back by itself (the disk has room again)
        seen = len(kiosk.states)
        await kiosk.press("cancel")
        await kiosk.until(lambda s: "unavailable" in kiosk.states[seen:] and s["state"] == "service_idle",
                          "out of service after the payment, then back by itself")

        # read-only: a note offered now is handed back, with the reason on the screen
        await start_payment(kiosk)
        await insert_counted(world, kiosk, 1000)
        await world.mount.command("ro")
        world.validator.insert(500)
        snap = await kiosk.until(lambda s: s["message"] == "journal", "the note handed back, and why")
        await until(lambda: world.validator.returned == [500], "the note back in the customer's hand")
        done = await finish(kiosk)  # the journal cannot even close it: the truth is "pending"
        assert done["result"]["status"] == "pending" and done["result"]["amount"] == 1000
        await kiosk.press("cancel")
        snap = await kiosk.until(lambda s: s["state"] == "unavailable", "out of service after the payment")
        assert snap["unavailable"] == {"reason": "storage"}
        await world.mount.command("rw")
        await kiosk.until(lambda s: s["state"] == "service_idle", "back in service by itself")
        await world.settle()
        findings = world.check(Findings())
    finally:
        await world.close()
    assert findings.problems == [] and (findings.lost, findings.double_credited) == (0, 0)


async def test_a_damaged_page_found_after_ready_takes_the_kiosk_out_of_service(tmp_path: Path) -> None:
    # the page check runs after READY (a year's journal takes seconds); it still decides
    state = tmp_path / "state"
    ledger = await Ledger.open(state, "K-SIM-01")
    for _ in range(30):
        await paid(ledger, 100, 500)
    await ledger.close()
    path = state / JOURNAL_FILE
    data = bytearray(path.read_bytes())
    data[3 * 4096: 4 * 4096] = b"\xa5" * 4096  # a torn page in the middle
    path.write_bytes(bytes(data))
    kiosk = await start_kiosk(state)
    try:
        snap = await kiosk.until(lambda s: s.get("state") == "unavailable", "out of service")
        assert snap["unavailable"] == {"reason": "storage"}
        await kiosk.press("0", "confirm")  # keys lead nowhere; no cash is taken
        assert kiosk.snapshot["state"] == "unavailable"
    finally:
        assert await kiosk.stop() == 0
    log = (tmp_path / "daemon.log").read_text(encoding="utf-8")
    assert "journal check failed" in log or "out of service, taking no cash" in log
