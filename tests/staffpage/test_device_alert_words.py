"""A device's own reason for an alert (the validator silent, the door switch unreadable) reads in
words on the staff page and in kioskctl, zh-CN and en; the driver's English text is only a
secondary line. A whole simulated kiosk, its emulators' fault switches, real Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.daemon import ROOT
from tests.staff.conftest import Staff

from .browser import logged_in
from .conftest import STAFF
from .test_daemon_page import kiosk_with_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = ROOT / "artifacts" / "screens" / "staff"
SILENT = ("识币器无应答（多次询问均无回复）", "the validator does not answer (no reply after several tries)")
GARBLED_DOOR = ("机门开关读数异常（既非开也非关，可能线缆断开）",
                "the door switch reads neither open nor closed (a cut cable?)")
STACKER_MOTOR = ("压钞电机故障", "the stacker motor failed")


async def no_latin_but_the_device_said(card) -> None:
    """Every word of a zh-CN alert card but the driver's own secondary line is Chinese."""
    said = await card.evaluate("""(c) => { const copy = c.cloneNode(true);
        copy.querySelectorAll('[data-testid="alert-raw"]').forEach((n) => n.remove());
        return copy.textContent; }""")
    assert not re.search(r"[A-Za-z]", said), said


async def test_device_reasons_read_in_words_in_both_languages(tmp_path: Path) -> None:
    from playwright.async_api import expect

    async with kiosk_with_page(tmp_path, STAFF) as (kiosk, url):
        ctl = Staff(kiosk)
        await kiosk.fault("silence", True)
        await kiosk.fault("door_unreadable", True)
        offline = await ctl.until_alert("validator_offline")
        door = await ctl.until_alert("door_unreadable")
        assert (offline["cause"], offline["cause_zh"], offline["cause_en"]) == ("no_reply", *SILENT)
        assert (door["cause"], door["cause_zh"], door["cause_en"]) == ("switch_bad_level", *GARBLED_DOOR)
        assert offline["cause_known"] and "no reply" in offline["detail"]["reason"]  # the driver's own, kept

        code, text = await ctl.run("alerts")
        assert code == 0 and SILENT[0] in text and GARBLED_DOOR[0] in text
        assert "no reply" not in text and "expected 0 or 1" not in text
        code, text = await ctl.run("alerts", "--lang", "en")
        assert code == 0 and SILENT[1] in text and GARBLED_DOOR[1] in text

        async with logged_in(url, "3001", STAFF["3001"][2]) as page:
            card = page.locator('[data-testid="alert"][data-code="validator_offline"]')
            door_card = page.locator('[data-testid="alert"][data-code="door_unreadable"]')
            await expect(card.get_by_test_id("alert-reason")).to_have_text(f"原因: {SILENT[0]}")
            await expect(door_card.get_by_test_id("alert-reason")).to_have_text(f"原因: {GARBLED_DOOR[0]}")
            await expect(card.get_by_test_id("alert-raw")).to_contain_text("no reply")
            for each in (card, door_card):
                await no_latin_but_the_device_said(each)
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "device-alert-words-zh-CN.png"), full_page=True)
            await page.get_by_test_id("lang").click()
            await expect(card.get_by_test_id("alert-reason")).to_have_text(f"Reason: {SILENT[1]}")
            await expect(door_card.get_by_test_id("alert-reason")).to_have_text(f"Reason: {GARBLED_DOOR[1]}")
            await page.screenshot(path=str(SHOTS / "device-alert-words-en.png"), full_page=True)

        # the validator answers again and reports a fault of its own: the fault's words, not "a fault"
        await kiosk.fault("silence", False)
        await ctl.until_alert("validator_offline", None)
        await kiosk.fault("failure", True)  # ID-003 FAILURE 0xA2
        fault = await ctl.until_alert("validator_fault")
        assert (fault["cause_zh"], fault["cause_en"], fault["cause_detail"]) == (*STACKER_MOTOR, "failure: stacker motor")
        code, text = await ctl.run("alerts")
        assert code == 0 and f"识币器故障：{STACKER_MOTOR[0]}" in text, text
        code, text = await ctl.run("alerts", "--lang", "en")
        assert code == 0 and f"validator fault: {STACKER_MOTOR[1]}" in text, text
        async with logged_in(url, "3001", STAFF["3001"][2]) as page:
            card = page.locator('[data-testid="alert"][data-code="validator_fault"]')
            await expect(card.get_by_test_id("alert-reason")).to_have_text(f"原因: {STACKER_MOTOR[0]}")
            await expect(card.get_by_test_id("alert-raw")).to_have_text("设备原文：failure: stacker motor")
            await no_latin_but_the_device_said(card)
            await page.screenshot(path=str(SHOTS / "validator-fault-words-zh-CN.png"), full_page=True)
            await page.get_by_test_id("lang").click()
            await expect(card.get_by_test_id("alert-reason")).to_have_text(f"Reason: {STACKER_MOTOR[1]}")
            await page.screenshot(path=str(SHOTS / "validator-fault-words-en.png"), full_page=True)
