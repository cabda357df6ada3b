"""The whole daemon as systemd sees it: notifications, the watchdog, and a SIGTERM mid-payment."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drivers.base import KeyPressed
from kioskd.app import Daemon
from kioskd.sim.hardware import Simulation
from tests.crash.harness import CrashWorld, Findings
from tests.daemon import STEP
from tests.service.notify_socket import NotifySocket
from tests.service.simulated import sim_config

ACCOUNT = "0012345678"  # reference backend demo account, ¥123.50 due
WATCHDOG_SEC = 4.0  # pings every 1 s; a device task quiet for 2 s counts as stalled


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[CrashWorld]:
    w = CrashWorld(tmp_path, seed=10)
    await w.start()
    try:
        yield w
    finally:
        await w.close()


async def test_sigterm_mid_payment_credits_the_note_in_flight(
    world: CrashWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock = NotifySocket(tmp_path / "notify.sock")  # a path socket, as systemd uses
    monkeypatch.setenv("NOTIFY_SOCKET", sock.address)
    monkeypatch.setenv("WATCHDOG_USEC", str(int(WATCHDOG_SEC * 1e6)))
    try:
        kiosk = await world.launch()
        await sock.until(lambda: "READY=1" in sock.lines, "READY=1")
        await sock.until(lambda: sock.count("WATCHDOG=1") >= 2, "watchdog pings")
        assert "service_idle" in sock.statuses()

        await kiosk.press(*ACCOUNT, "confirm")
        await kiosk.until(lambda s: s["state"] == "payment_confirm", "the confirmation")
        await kiosk.press("confirm")
        await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash step")
        await sock.until(lambda: any(s.startswith("payment accepting cash") for s in sock.statuses()),
                         "a cash status line")
        world.validator.insert(2000)
        await kiosk.until(lambda s: len(s["notes"]) == 1 and s["state"] == "payment_cash_waiting",
                          "the first note counted")

        # systemd stops us while the second note is in flight (escrow or on its way to the box)
        seen = len(kiosk.states)
        world.validator.insert(5000)
        await kiosk.until(lambda s: {"payment_cash_escrow", "payment_cash_stacking"}
                          & set(kiosk.states[seen:]), "the second note in flight")
        assert world.proc is not None
        world.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(world.proc.wait(), 60) == 0  # TimeoutStopSec=60

        assert "STOPPING=1" in sock.lines
        assert any(s.startswith("stopping") for s in sock.statuses())
    finally:
        sock.close()
        if world.kiosk is not None:
            await world.kiosk.stop()
            world.proc = world.kiosk = None

    assert world.validator.stacked == [2000, 5000]
    with sqlite3.connect(world.state / "journal.sqlite3") as db:
        txns = db.execute("select state, amount from txns where amount > 0").fetchall()
    assert txns == [("credited", 7000)]  # the backend was up: submitted before exiting
    findings = world.check(Findings())
    assert findings.problems == [] and findings.lost == 0 and findings.double_credited == 0
    assert len(world.printer.receipts) == 1  # the customer got the receipt


async def test_a_stalled_validator_task_stops_the_watchdog_pings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock = NotifySocket()  # abstract namespace
    monkeypatch.setenv("NOTIFY_SOCKET", sock.address)
    monkeypatch.setenv("WATCHDOG_USEC", str(int(WATCHDOG_SEC * 1e6)))
    config = sim_config(tmp_path)
    sim = Simulation(tmp_path / "state")
    daemon = Daemon(await sim.start(config), sim=sim)
    try:
        await daemon.start()
        await sock.until(lambda: "READY=1" in sock.lines, "READY=1")
        dog = daemon.watchdog
        assert dog is not None and dog.timeout == WATCHDOG_SEC

        # a silent validator is offline, not stalled: the driver keeps polling and says so
        await sim.fault("silence", True)
        await sock.until(lambda: "unavailable: validator_offline" in sock.statuses(), "offline status")
        pings = sock.count("WATCHDOG=1")
        await sock.until(lambda: sock.count("WATCHDOG=1") >= pings + 3, "pings while offline",
                         within=3 * WATCHDOG_SEC)
        await sim.fault("silence", False)
        await sock.until(lambda: sock.statuses()[-1] == "service_idle", "back to idle")

        # the journal's disk hangs in the middle of a credit: the validator task is stuck
        release = asyncio.Event()
        real_commit = daemon.model.commit_credit

        async def hung_commit(event: object) -> None:
            await release.wait()
            await real_commit(event)  # type: ignore[arg-type]

        monkeypatch.setattr(daemon.model, "commit_credit", hung_commit)
        for key in (*ACCOUNT, "confirm"):
            daemon.events.put_nowait(KeyPressed("screen", key))
        await sock.until(lambda: sock.statuses()[-1] == "payment_confirm", "the confirmation")
        daemon.events.put_nowait(KeyPressed("screen", "confirm"))
        await sock.until(lambda: sock.statuses()[-1].startswith("payment accepting"), "the cash step")
        await sim.insert(1000)
        await sock.until(lambda: any(s.startswith("stalled: validator poll") for s in sock.statuses()),
                         "the stall reported", within=3 * WATCHDOG_SEC)
        pings = sock.count("WATCHDOG=1")
        with pytest.raises(AssertionError):  # two ping intervals pass without a ping
            await sock.until(lambda: sock.count("WATCHDOG=1") > pings, "no ping",
                             within=2 * dog.interval)

        release.set()  # the disk answers: the note is credited and the pings come back
        await sock.until(lambda: sock.count("WATCHDOG=1") > pings, "pings again", within=STEP)
        await sock.until(lambda: "payment accepting cash (1000 fen)" in sock.statuses(), "the note")
    finally:
        await daemon.stop()
        await sim.stop()
        sock.close()
