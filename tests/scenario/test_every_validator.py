"""The same customer payment through each validator protocol's real driver and emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.daemon import ROOT, start_kiosk
from tests.scenario.test_daemon import pay

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
        snap = await pay(kiosk, "0012345678", [10000, 2000, 500])
        assert (snap["result"]["status"], snap["result"]["amount"]) == ("credited", 12500)
        # the inhibited validator keeps an offered note out until the next cash step
        await kiosk.insert(100)
        await kiosk.press("cancel")
        await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
    finally:
        assert await kiosk.stop() == 0
    import sqlite3

    db = sqlite3.connect(tmp_path / "state" / "journal.sqlite3")
    assert db.execute("select sum(value), count(*) from notes").fetchone() == (12500, 3)
