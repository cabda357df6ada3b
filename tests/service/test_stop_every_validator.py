"""SIGTERM with a note in flight, through each validator protocol's real driver and emulator."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from drivers.registry import NAMES
from tests.daemon import start_kiosk

pytestmark = pytest.mark.slow
ACCOUNT = "0012345678"  # reference backend demo account, ¥123.50 due


@pytest.mark.parametrize("driver", NAMES)
async def test_sigterm_waits_for_the_note_in_flight(tmp_path: Path, driver: str) -> None:
    kiosk = await start_kiosk(tmp_path / "state", "--validator", driver)
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await kiosk.press(*ACCOUNT, "confirm")
        await kiosk.until(lambda s: s["state"] == "payment_confirm", "the confirmation")
        await kiosk.press("confirm")
        await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash step")
        await kiosk.insert(2000)
        await kiosk.until(lambda s: s["notes"] == [2000] and s["state"] == "payment_cash_waiting", "note 1")
        seen = len(kiosk.states)
        await kiosk.insert(5000)
        # systemd stops the kiosk while the second note is in escrow or on its way to the box
        await kiosk.until(lambda s: {"payment_cash_escrow", "payment_cash_stacking"} & set(kiosk.states[seen:]),
                          "the second note in flight")
    finally:
        assert await kiosk.stop() == 0
    log = (tmp_path / "daemon.log").read_text(encoding="utf-8")
    assert "stopping: state payment_cash_" in log
    with sqlite3.connect(tmp_path / "state" / "journal.sqlite3") as db:
        txns = db.execute("select state, amount from txns where amount > 0").fetchall()
        notes = db.execute("select value from notes order by id").fetchall()
    assert txns == [("credited", 7000)]  # both notes in one payment, submitted before exiting
    assert notes == [(2000,), (5000,)]
