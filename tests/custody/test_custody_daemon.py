"""A whole dual-custody session at the simulated kiosk: kioskctl, keypad, box out and back, count."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.daemon import ROOT, STEP, RunningKiosk, start_kiosk

pytestmark = pytest.mark.slow


def kioskctl(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kioskd.cli.main", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=60)


async def keys(kiosk: RunningKiosk, *entries: str) -> None:
    """Type each entry on the keypad and confirm it."""
    for entry in entries:
        await kiosk.press(*entry, "confirm")


async def test_two_technicians_empty_the_box_and_the_count_is_reconciled(tmp_path: Path) -> None:
    state = tmp_path / "state"
    # a small box: the payment's three notes fill it to near full (90 % of 3)
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    config = tmp_path / "small-box.toml"
    config.write_text(text.replace("[validator]\n", "[validator]\nbox_capacity = 3\n", 1), encoding="utf-8")
    kiosk = await start_kiosk(state, "--config", str(config))
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        for tech, pin in (("7001", "246810"), ("7002", "135791")):
            added = kioskctl("tech", "--state", str(state), "add", tech, "--name", f"Tech {tech}",
                             "--pin-stdin", stdin=pin + "\n")
            assert added.returncode == 0, added.stderr
        await kiosk.pay("0012345678", [10000, 10000, 5000])
        await kiosk.press("cancel")
        await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
        near_full = await open_alert(state, "stacker_near_full")
        assert near_full["detail"]["notes"] == 3  # not raised at two notes, and raised once

        opened = kioskctl("cashbox", "open", "--socket", str(state / "control.sock"))
        assert opened.returncode == 0, opened.stderr
        await kiosk.until(lambda s: s["state"] == "maintenance_login", "the technician login")
        await keys(kiosk, "7001", "246810")
        snap = await kiosk.until(lambda s: s["custody"]["step"] == "tech2_id", "technician 2's turn")
        assert "expected" not in json.dumps(snap["custody"])  # blind: no expected figures shown
        await keys(kiosk, "7002", "135791")
        await kiosk.until(lambda s: s["state"] == "maintenance_open", "the box released")
        await kiosk.until_printed("终端现金对账单")  # the terminal cash statement

        await kiosk.fault("box_removed", True)  # expected now: no tamper
        await kiosk.until(lambda s: s["custody"]["box_out"], "the box out")
        await kiosk.fault("box_removed", False)
        await kiosk.until(lambda s: s["state"] == "maintenance_count", "the count")
        # counted per denomination (1, 5, 10, 20, 50, 100 yuan): one 100 short, one 50 over
        await keys(kiosk, "0", "0", "0", "0", "2", "1", "0")  # ..., then 0 counterfeit
        await keys(kiosk, "246810", "135791")  # both technicians confirm the count
        snap = await kiosk.until(lambda s: s["custody"]["step"] == "ended", "the reconciliation")
        verdicts = {r["value"]: r["verdict"] for r in snap["custody"]["result"]}
        assert (verdicts[10000], verdicts[5000], verdicts[100]) == ("short", "over", "match")
        assert snap["state"] == "maintenance_result" and snap["custody"]["outcome"] == "mismatch"
        await kiosk.press("confirm")  # seen: back to customers once the guard time has passed
        await kiosk.until(lambda s: s["state"] == "service_idle", "back in service")
        # the new, empty box cleared it
        listed = json.loads(kioskctl("alerts", "--all", "--json", "--socket", str(state / "control.sock")).stdout)
        assert [a["state"] for a in listed["alerts"] if a["id"] == near_full["id"]] == ["cleared"]
    finally:
        assert await kiosk.stop() == 0

    db = sqlite3.connect(state / "journal.sqlite3")
    kinds = [k for (k,) in db.execute("select kind from audit order by seq")]
    assert "box_removed" in kinds and "box_tamper" not in kinds and "custody_end" in kinds
    changes = [(json.loads(b)["code"], json.loads(b)["state"])
               for (b,) in db.execute("select body from outbox where kind = 'alert' order by id")]
    alerts = [code for code, _ in changes]
    assert "custody_mismatch" in alerts and "box_tamper" not in alerts
    # the box out under custody is an alert (info) while it is out, cleared when the new box is in
    assert [c for c in changes if c[0] == "box_removed"] == [("box_removed", "raised"), ("box_removed", "cleared")]
    assert db.execute("select sum(count) from counters").fetchone()[0] in (0, None)  # the new box
    verify = kioskctl("audit", "verify", "--state", str(state), "--key", str(state / "kiosk.key"))
    assert verify.returncode == 0, verify.stdout + verify.stderr


async def open_alert(state: Path, code: str) -> dict:
    """The open alert `code`, asked of the daemon until it is there (it lives in another process)."""
    async with asyncio.timeout(STEP):
        while True:
            reply = json.loads(kioskctl("alerts", "--json", "--socket", str(state / "control.sock")).stdout)
            found = [a for a in reply["alerts"] if a["code"] == code]
            if found:
                return found[0]
            await asyncio.sleep(0.1)


async def test_a_box_removed_without_custody_takes_the_kiosk_out_of_service(tmp_path: Path) -> None:
    state = tmp_path / "state"
    kiosk = await start_kiosk(state)
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await kiosk.fault("box_removed", True)
        snap = await kiosk.until(lambda s: s["state"] == "unavailable", "out of service")
        assert snap["unavailable"] == {"reason": "box_tamper"}
        await kiosk.fault("box_removed", False)  # putting it back is not enough
        await kiosk.press("0")
        assert kiosk.snapshot["state"] == "unavailable"
        # nor is one person's word: not the installer's shell, not a manager's
        tamper = await open_alert(state, "box_tamper")
        socket = str(state / "control.sock")
        added = kioskctl("staff", "--state", str(state), "add", "3001", "--name", "赵经理", "--role", "manager",
                         "--secret-stdin", stdin="864209\n")
        assert added.returncode == 0, added.stderr
        acked = kioskctl("alerts", "ack", tamper["id"], "--by", "张三", "--socket", socket)
        assert acked.returncode == 0, acked.stderr
        for who in ([], ["--as", "3001", "--secret-stdin"]):
            cleared = kioskctl("alerts", "clear", tamper["id"], "--by", "张三", "--socket", socket, "--json", *who,
                               stdin="864209\n")
            assert cleared.returncode == 1, cleared.stdout
            reply = json.loads(cleared.stdout)
            assert "completed custody session" in reply["error"] and "双人" in reply["error_zh"]
        assert (await open_alert(state, "box_tamper"))["id"] == tamper["id"]
        assert kiosk.snapshot["state"] == "unavailable"
    finally:
        assert await kiosk.stop() == 0
    db = sqlite3.connect(state / "journal.sqlite3")
    entries = [(k, json.loads(d)) for k, d in db.execute("select kind, data from audit order by seq")]
    db.close()
    refused = [d for k, d in entries if k == "staff_refused"]
    assert [(r["action"], r["code"], r["by_role"], r.get("claimed"), r["uid"]) for r in refused] == [
        ("alert_clear", "box_tamper", "installer", "张三", os.getuid()),
        ("alert_clear", "box_tamper", "manager", "张三", os.getuid())]
    [acked_entry] = [d for k, d in entries if k == "alert" and d["state"] == "acknowledged"]
    assert acked_entry["detail"]["acknowledged_by_uid"] == os.getuid()
    # every entry a control-socket caller caused names the caller's uid, as the kernel told it
    by_socket = [(k, d) for k, d in entries if d.get("via") == "kioskctl"]
    assert len(by_socket) >= 4 and all(d["uid"] == os.getuid() for _, d in by_socket), by_socket
