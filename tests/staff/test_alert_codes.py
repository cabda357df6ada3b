"""Each alert code raised by its cause through the emulators' fault switches, and cleared."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.daemon import ROOT, RunningKiosk, start_kiosk
from tests.staff.conftest import Staff, pay

PRINTER_WAIT = 10.0


async def fast_printer_kiosk(tmp_path: Path) -> RunningKiosk:
    """A kiosk whose printer driver asks for status every 0.3 s instead of 5 s."""
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    config = tmp_path / "fast-printer.toml"
    config.write_text(text.replace("[printer]\n", "[printer]\nstatus_interval = 0.3\n", 1), encoding="utf-8")
    kiosk = await start_kiosk(tmp_path / "s", "--config", str(config))
    await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
    return kiosk


async def test_validator_alerts(kiosk: RunningKiosk, staff: Staff) -> None:
    # a note jams in the stacker during a payment: raised once however long it lasts,
    # acknowledged by staff, cleared when the jam is; the jammed note still counts
    await kiosk.press(*"0012345678", "confirm")
    await kiosk.until(lambda s: s["state"] == "payment_confirm", "the confirmation screen")
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash screen")
    await kiosk.insert(2000)
    await kiosk.until(lambda s: s["notes"] == [2000], "the first note counted")
    await kiosk.fault("jam_stacking", True)
    await kiosk.insert(10000)
    jam = await staff.until_alert("note_jam")
    assert jam["severity"] == "critical" and jam["title_zh"] == "卡币"
    code, text = await staff.run("alerts", "ack", jam["id"][:8], "--by", "guide-7")
    assert code == 0 and "note_jam" in text
    await staff.until_alert("note_jam", "acknowledged")
    code, text = await staff.run("alerts", "ack", jam["id"])
    assert code == 1 and "already acknowledged" in text
    assert jam["detail"]["txn"]
    await kiosk.fault("jam_stacking", False)
    await staff.until_alert("note_jam", None)
    await kiosk.until(lambda s: s["total"] == 12000, "the jammed note counted once cleared")
    cleared = [a for a in await staff.alerts(True) if a["code"] == "note_jam"]
    assert [(a["id"], a["state"]) for a in cleared] == [(jam["id"], "cleared")]

    # the validator goes silent: offline; back: cleared
    await kiosk.fault("silence", True)
    await staff.until_alert("validator_offline")
    assert (await staff.json("status"))["devices"]["validator"] == "validator_offline"
    await kiosk.fault("silence", False)
    await staff.until_alert("validator_offline", None)

    # stacker full and a box removed without custody: the kiosk cannot see these fixed,
    # staff clear them; until then one alert each however often the cause repeats
    await kiosk.fault("stacker_full", True)
    full = await staff.until_alert("stacker_full")
    await kiosk.fault("stacker_full", False)
    await kiosk.fault("stacker_full", True)
    await kiosk.fault("box_removed", True)
    tamper = await staff.until_alert("box_tamper")
    await kiosk.fault("box_removed", False)
    await kiosk.fault("stacker_full", False)
    assert [a["id"] for a in await staff.alerts() if a["code"] == "stacker_full"] == [full["id"]]
    code, text = await staff.run("alerts", "--lang", "en")
    assert code == 0 and "cash box removed without custody" in text and "cash box full" in text
    code, _ = await staff.run("alerts", "clear", full["id"], "--by", "manager")
    assert code == 0
    # the box removed without custody is no one person's to clear: a custody session does it
    code, text = await staff.run("alerts", "clear", tamper["id"], "--by", "manager")
    assert code == 1 and "须由双人开箱清点完成后解除" in text  # the staff's language, Chinese by default
    assert [a["code"] for a in await staff.alerts()] == ["box_tamper"]
    code, text = await staff.run("alerts", "clear", full["id"])
    assert code == 1 and "no open alert" in text


async def test_a_cleared_alert_whose_cause_lasts_is_raised_again_and_an_emptied_box_serves(
        kiosk: RunningKiosk, staff: Staff) -> None:
    await kiosk.fault("stacker_full", True)
    first = await staff.until_alert("stacker_full")
    await kiosk.until(lambda s: s["state"] == "unavailable", "out of service")
    # cleared by staff while the box is still full: raised again at once, still out of service
    code, _ = await staff.run("alerts", "clear", first["id"], "--by", "manager")
    assert code == 0
    again = await staff.until_alert("stacker_full")
    assert again["id"] != first["id"]
    assert "service_idle" not in kiosk.states[kiosk.states.index("unavailable"):]  # never served meanwhile
    # switched off and on faster than the device is polled, then cleared: the box is full at
    # every look, so the alert comes back
    await kiosk.fault("stacker_full", False)
    await kiosk.fault("stacker_full", True)
    code, _ = await staff.run("alerts", "clear", again["id"], "--by", "manager")
    assert code == 0
    third = await staff.until_alert("stacker_full")
    assert third["id"] not in (first["id"], again["id"])
    # the box emptied, then the alert cleared: the kiosk serves again and takes notes
    await kiosk.fault("stacker_full", False)
    code, _ = await staff.run("alerts", "clear", third["id"], "--by", "manager")
    assert code == 0
    await kiosk.until(lambda s: s["state"] == "service_idle", "the kiosk back in service")
    assert (await pay(kiosk, "0012345678", [10000]))["result"]["status"] == "credited"
    assert [a["code"] for a in await staff.alerts()] == []


async def test_printer_alerts(tmp_path: Path) -> None:
    kiosk = await fast_printer_kiosk(tmp_path)
    try:
        await printer_faults(kiosk, Staff(kiosk))
    finally:
        await kiosk.stop()


async def printer_faults(kiosk: RunningKiosk, staff: Staff) -> None:
    await kiosk.fault("paper_low", True)
    await _until(staff, "printer_paper_low", "raised")
    await kiosk.fault("paper_out", True)
    await _until(staff, "printer_paper_out", "raised")
    assert (await staff.json("status"))["devices"]["printer"] == "printer_paper_out"
    # a new roll: paper ok again clears both
    await kiosk.fault("paper_out", False)
    await kiosk.fault("paper_low", False)
    await _until(staff, "printer_paper_out", None)
    await _until(staff, "printer_paper_low", None)
    await kiosk.fault("offline", True)
    await _until(staff, "printer_offline", "raised")
    await kiosk.fault("offline", False)
    await _until(staff, "printer_offline", None)
    assert (await staff.json("status"))["devices"]["printer"] == "online"


async def _until(staff: Staff, code: str, state: str | None) -> None:
    async with asyncio.timeout(PRINTER_WAIT):
        await staff.until_alert(code, state)


async def test_open_alerts_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "s"
    kiosk = await start_kiosk(state)
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await kiosk.fault("stacker_full", True)
        full = await Staff(kiosk).until_alert("stacker_full")
    finally:
        assert await kiosk.stop() == 0
    kiosk = await start_kiosk(state)
    try:
        staff = Staff(kiosk)
        open_now = await staff.alerts()
        assert [(a["id"], a["code"]) for a in open_now] == [(full["id"], "stacker_full")]
        # the outbox kept the raise for the backend; the change reached it
        assert (await staff.json("status"))["outbox"].get("alert", 0) == 0
    finally:
        await kiosk.stop()


async def test_backend_unreachable_raised_while_it_fails_and_cleared_by_its_next_answer(tmp_path: Path) -> None:
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    config = tmp_path / "impatient.toml"
    config.write_text(text.replace("[backend]\n", "[backend]\nunreachable_after = 0.5\n", 1), encoding="utf-8")
    kiosk = await start_kiosk(tmp_path / "s", "--config", str(config))
    staff = Staff(kiosk)
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await kiosk.fault("backend_down", True)
        # a customer's look-up finds the backend down: the help screen, then staff hear of it
        await kiosk.press(*"0012345678", "confirm")
        snap = await kiosk.until(lambda s: s["state"] == "payment_help", "the help screen")
        assert snap["help"]["reason"] == "lookup" and snap["total"] == 0
        alert = await staff.until_alert("backend_unreachable")
        assert alert["severity"] == "warning" and alert["device"] == "backend"
        await kiosk.fault("backend_down", False)
        await kiosk.press("cancel")
        await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
        # the next customer's look-up is answered: the link is back, the alert clears
        await kiosk.press(*"0012345678", "confirm")
        await kiosk.until(lambda s: s["state"] == "payment_confirm", "the confirmation screen")
        await staff.until_alert("backend_unreachable", None)
        cleared = [a for a in await staff.alerts(True) if a["code"] == "backend_unreachable"]
        assert [(a["id"], a["state"]) for a in cleared] == [(alert["id"], "cleared")]
    finally:
        assert await kiosk.stop() == 0


async def test_validator_fault_raised_by_a_failure_and_cleared_when_it_is_gone(kiosk: RunningKiosk, staff: Staff) -> None:
    await kiosk.fault("failure", True)  # ID-003 FAILURE: stacker motor
    alert = await staff.until_alert("validator_fault")
    assert alert["detail"]["kind"] == "failure: stacker motor" and alert["detail"]["fault_code"] == 0xA2
    assert alert["device"] == "validator"
    snap = await kiosk.until(lambda s: s["state"] == "unavailable", "out of service")
    assert snap["unavailable"]["reason"] == "validator_fault"
    await kiosk.fault("failure", False)
    await staff.until_alert("validator_fault", None)
    await kiosk.until(lambda s: s["state"] == "service_idle", "back in service")
