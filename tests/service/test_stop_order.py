"""Stopping the daemon: each start's stop runs in reverse order, and one failing stop loses nothing."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest

from kioskd.app import Daemon
from kioskd.customer.screen.server import ScreenServer
from kioskd.sim.hardware import Simulation
from kioskd.system.health import RUN_MARKER
from tests.service.simulated import sim_config


async def test_a_failing_screen_stop_is_logged_and_the_journal_still_closes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sim_config(tmp_path)
    real_screen_stop = ScreenServer.stop

    async def broken_screen_stop(self: ScreenServer) -> None:
        await real_screen_stop(self)
        raise OSError("socket already gone")

    monkeypatch.setattr(ScreenServer, "stop", broken_screen_stop)
    sim = Simulation(tmp_path / "state")
    daemon = Daemon(await sim.start(config), sim=sim)
    try:
        await daemon.start()
        assert (tmp_path / "state" / RUN_MARKER).exists()
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="kioskd"):
            await daemon.stop()
    finally:
        await sim.stop()

    steps = [r.getMessage().removeprefix("stop: ") for r in caplog.records
             if r.name == "kioskd" and r.levelno == logging.DEBUG and r.getMessage().startswith("stop: ")]
    # the reverse of start: outside doors first, the inhibit before the tasks, the journal last
    # and then its lock (a restore may start only once the journal is closed)
    assert steps == ["control socket", "screen", "validator inhibit", "tasks", "door watch",
                     "alerts", "backend client", "journal", "journal lock"]
    assert daemon.stop_errors == ["screen"]
    assert any(r.getMessage() == "stop: screen failed" and r.exc_info for r in caplog.records)
    assert not (tmp_path / "state" / RUN_MARKER).exists()  # the journal closed cleanly all the same
    assert all(t.done() for t in daemon.tasks)
    # the pump ends when cancelled even if the cancel lands inside a machine trigger
    assert not [r for r in caplog.records if "did not end" in r.getMessage()]


async def test_alert_changes_made_just_before_a_stop_are_in_the_journal_after_it(tmp_path: Path) -> None:
    """The alerts' writer stores each change after the fact; a stop closes the journal only after it."""
    config = sim_config(tmp_path)
    sim = Simulation(tmp_path / "state")
    daemon = Daemon(await sim.start(config), sim=sim)
    devices = [f"test-printer-{n}" for n in range(20)]
    try:
        await daemon.start()
        for device in devices:  # raised and cleared the moment before SIGTERM: 40 changes still to store
            daemon.alerts.raise_alert("printer_offline", "warning", device=device)
            daemon.alerts.clear_alert("printer_offline", device)
        await daemon.stop()
    finally:
        await sim.stop()
    db = sqlite3.connect(tmp_path / "state" / "journal.sqlite3")
    try:
        sent = [json.loads(body) for (body,) in db.execute("SELECT body FROM outbox WHERE kind = 'alert' ORDER BY id")]
        chained = [json.loads(data) for (data,) in db.execute("SELECT data FROM audit WHERE kind = 'alert' ORDER BY seq")]
    finally:
        db.close()
    for stored in (sent, chained):
        assert [(a["detail"]["device"], a["state"]) for a in stored if a["detail"].get("device") in devices] == [
            (device, state) for device in devices for state in ("raised", "cleared")]
