"""The whole daemon in simulate mode, driven through its screen and the simulator page."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.daemon import ROOT, RunningKiosk

pytestmark = pytest.mark.slow


async def test_a_customer_pays_a_bill_end_to_end(kiosk: RunningKiosk) -> None:
    snap = await kiosk.pay("0012345678", [10000, 2000, 500])
    assert snap["result"]["status"] == "credited"
    assert snap["result"]["amount"] == 12500
    assert snap["result"]["ref"]
    assert snap["receipt"] == "printed"
    text = "\n".join((await kiosk.sim_state())["receipt"])
    assert "合计: 125.00 元" in text and "0012345678" in text
    for state in ("payment_account", "payment_lookup", "payment_confirm", "payment_cash_waiting",
                  "payment_submit", "payment_receipt", "payment_done"):
        assert state in kiosk.states
    assert await kiosk.stop() == 0
    # what the journal holds after a clean stop: one credited payment, seq 1, its notes
    db = sqlite3.connect(kiosk.state_dir / "journal.sqlite3")
    rows = db.execute("select seq, state, amount from txns where state != 'cancelled'").fetchall()
    assert rows == [(1, "credited", 12500)]


async def test_a_note_offered_before_the_cash_step_is_taken_only_in_it(kiosk: RunningKiosk) -> None:
    # the inhibited validator hands the note back (money rule 1): nothing waits for the next customer
    assert await kiosk.insert(10000) == {"ok": True, "handed_back": True}
    await kiosk.press(*"0012345678", "confirm")
    snap = await kiosk.until(lambda s: s["state"] == "payment_confirm", "the confirmation screen")
    assert snap["notes"] == [] and snap["total"] == 0
    assert await kiosk.insert(10000) == {"ok": True, "handed_back": True}
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash screen")
    assert await kiosk.insert(10000) == {"ok": True, "handed_back": False}
    snap = await kiosk.until(lambda s: s["notes"] == [10000], "the note counted in the cash step")
    assert snap["state"].startswith("payment_cash") and snap["total"] == 10000


async def test_unknown_account_is_told_and_takes_no_cash(kiosk: RunningKiosk) -> None:
    await kiosk.press(*"0011111111", "confirm")
    snap = await kiosk.until(lambda s: s["state"] == "payment_help", "the help screen")
    assert snap["lookup_error"] == "unknown_account"


@pytest.mark.parametrize(
    "patch,key",
    [
        ("[timeouts]\ncash_idle = -1\n", "timeouts.cash_idle"),
        ("[validator]\ndriver = \"nv11\"\nport = \"x\"\n", "validator.driver"),
        ("[limits]\nmax_notes = \"many\"\n", "limits.max_notes"),
    ],
)
def test_bad_config_exits_78_with_one_line(tmp_path: Path, patch: str, key: str) -> None:
    base = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    section = patch.split("\n")[0]
    text = base.replace(section + "\n", "", 1) if section in base and section == "[validator]" else base
    if section == "[validator]":
        text = text.replace('driver = "id003"\nport = "simulated"\npoll_interval = 0.1\n', "")
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n" + patch, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "kioskd", "run", "--config", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 78
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"config error: {path}: {key}: "), proc.stderr
