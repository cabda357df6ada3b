"""The same customer payment through each validator protocol's real driver and emulator."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.daemon import ROOT, start_kiosk

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("driver", ["id003", "ssp", "essp", "ccnet", "cctalk"])
async def test_a_payment_through_each_protocol(tmp_path: Path, driver: str) -> None:
    extra: tuple[str, ...] = ()
    if driver == "essp":  # SSP with eSSP encryption on the wire
        conf = tmp_path / "kiosk.toml"
        text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
        conf.write_text(text.replace('driver = "id003"', 'driver = "ssp"\nencrypted = true'), encoding="utf-8")
        extra, driver = ("--config", str(conf)), "ssp"
    kiosk = await start_kiosk(tmp_path / "state", "--validator", driver, *extra)
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        snap = await kiosk.pay("0012345678", [10000, 2000, 500])
        assert (snap["result"]["status"], snap["result"]["amount"]) == ("credited", 12500)
        # the inhibited validator keeps an offered note out until the next cash step
        await kiosk.insert(100)
        await kiosk.press("cancel")
        await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
    finally:
        assert await kiosk.stop() == 0
    db = sqlite3.connect(tmp_path / "state" / "journal.sqlite3")
    assert db.execute("select sum(value), count(*) from notes").fetchone() == (12500, 3)


@pytest.mark.parametrize("driver", ["ccnet", "cctalk"])  # ID-003 and SSP: tests/scenario/test_stuck_note.py
async def test_a_stuck_note_is_paid_with_the_counted_cash_when_cleared(tmp_path: Path, driver: str) -> None:
    kiosk = await start_kiosk(tmp_path / "state", "--validator", driver)
    try:
        await kiosk.to_cash()
        await kiosk.insert(5000)
        await kiosk.until(lambda s: s["notes"] == [5000] and s["state"] == "payment_cash_waiting", "note 1")
        await kiosk.fault("jam_stacking", True)
        await kiosk.insert(1000)
        snap = await kiosk.until(lambda s: s["state"] == "payment_help", "the stuck-note screen")
        assert snap["help"] == {"reason": "note_jam", "detail": None, "total": 5000} and snap["jam"]["waiting"]
        await kiosk.fault("jam_stacking", False)  # staff clear the jam
        snap = await kiosk.until(lambda s: s["state"] in ("payment_done", "payment_receipt"), "the payment")
        assert (snap["result"]["status"], snap["result"]["amount"]) == ("credited", 6000)
    finally:
        assert await kiosk.stop() == 0
    db = sqlite3.connect(tmp_path / "state" / "journal.sqlite3")
    assert db.execute("select seq, amount from txns where seq is not null").fetchall() == [(1, 6000)]

