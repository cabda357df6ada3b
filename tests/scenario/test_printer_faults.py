"""Printer trouble at the whole daemon: the payment stays true, the customer is told."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.daemon import ROOT, RunningKiosk, start_kiosk

pytestmark = pytest.mark.slow


async def kiosk_with(tmp_path: Path, printer: str) -> RunningKiosk:
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    text = text.replace('[printer]\nport = "simulated"\n', '[printer]\nport = "simulated"\n' + printer)
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    kiosk = await start_kiosk(tmp_path / "state", "--config", str(path))
    await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
    return kiosk


def alerts(state: Path) -> list[str]:
    db = sqlite3.connect(state / "journal.sqlite3")
    rows = db.execute("select body from outbox where kind = 'alert' order by id").fetchall()
    import json

    return [f"{json.loads(b)['code']}:{json.loads(b)['state']}" for (b,) in rows]


async def test_paper_out_at_idle_keeps_taking_payments_with_a_notice(tmp_path: Path) -> None:
    kiosk = await kiosk_with(tmp_path, "status_interval = 0.2\n")
    try:
        await kiosk.fault("paper_out", True)
        await kiosk.until(lambda s: "printer_unavailable" in s["notices"], "the printer notice")
        snap = await kiosk.pay("0012345678", [1000])
        assert snap["result"]["status"] == "credited"  # the money is credited all the same
        assert snap["receipt"] == "failed"  # and the customer is told there is no receipt
        await kiosk.fault("paper_out", False)
        await kiosk.until(lambda s: "printer_unavailable" not in s["notices"], "the notice gone")
    finally:
        assert await kiosk.stop() == 0
    db = sqlite3.connect(tmp_path / "state" / "journal.sqlite3")
    assert db.execute("select state, reprint_wanted from txns where seq = 1").fetchone() == ("credited", 1)
    assert alerts(tmp_path / "state")[:2] == ["printer_paper_out:raised", "printer_paper_out:cleared"]


async def test_printer_offline_can_take_the_kiosk_out_of_service(tmp_path: Path) -> None:
    kiosk = await kiosk_with(tmp_path, 'status_interval = 0.2\nwhen_unavailable = "unavailable"\n')
    try:
        await kiosk.fault("offline", True)
        snap = await kiosk.until(lambda s: s["state"] == "unavailable", "out of service")
        assert snap["unavailable"] == {"reason": "printer"}
        await kiosk.fault("offline", False)
        await kiosk.until(lambda s: s["state"] == "service_idle", "back in service")
    finally:
        assert await kiosk.stop() == 0
    assert "printer_offline:raised" in alerts(tmp_path / "state")


async def test_paper_running_out_during_the_receipt_leaves_the_payment_credited(tmp_path: Path) -> None:
    kiosk = await kiosk_with(tmp_path, "status_interval = 30.0\n")  # the daemon has not noticed yet
    try:
        await kiosk.fault("paper_out", True)
        snap = await kiosk.pay("0012345678", [2000])
        assert (snap["result"]["status"], snap["receipt"]) == ("credited", "failed")
    finally:
        assert await kiosk.stop() == 0
    db = sqlite3.connect(tmp_path / "state" / "journal.sqlite3")
    assert db.execute("select reprint_wanted from txns where seq = 1").fetchone() == (1,)
