"""A daily close that disagrees with the kiosk's count differences reaches the operator without anyone
asking: its batch, signed and sent over HTTP, raises close_mismatch, which the operator's view names in
Chromium (kiosk, close date, what did not match) in Chinese and English."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from backend_api.opendiffs import OPENED, OpenReplay
from refbackend import ReferenceBackend
from refbackend.operators import add_operator
from refbackend.testbed.kiosks import SimKiosk, ago
from tests.chromium import SHOTS, launched
from tests.refbackend.fleetsim import FleetClient

pytestmark = [pytest.mark.browser]
OUT = SHOTS / "operator"
PASSWORD = "correct horse battery"


async def test_a_close_that_disagrees_is_an_alert_on_the_operators_view(tmp_path: Path) -> None:
    from playwright.async_api import expect

    ref = ReferenceBackend(tmp_path / "fleet.sqlite3")
    await ref.start()
    try:
        add_operator(ref.store, "ana", "王安娜", PASSWORD)
        opened = [{"no": 1, "type": "over", "value": 2000, "session": "s-1"},
                  {"no": 2, "type": "short", "value": 5000, "session": "s-1"}]
        replay = OpenReplay()
        for data in opened:
            replay.entry(OPENED, data)
        good = {**replay.expected(), "earlier": {"oldest": []}, "period": {"listed": []}}
        forged = {**good, "total": good["total"] - 5000}  # the short left out of the signed total
        async with aiohttp.ClientSession() as session:
            net = FleetClient(ref, session)
            kiosk = net.enrol(SimKiosk("K-0042", "H-03"))
            at = ago(minutes=5)
            payload, token = kiosk.audit_batch(
                [(OPENED, at, d) for d in opened] + [("daily_close", at, {"date": "2026-12-02", "registers": {"open": good}}),
                                                     ("daily_close", at, {"date": "2026-12-03", "registers": {"open": forged}})])
            assert (await net.post(kiosk, "v1/batches", payload, token))[0] == 200
        async with launched() as chromium:
            page = await chromium.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            await page.goto(ref.url + "operator/")
            await page.get_by_test_id("login-name").fill("ana")
            await page.get_by_test_id("password").fill(PASSWORD)
            await page.get_by_test_id("login-button").click()
            await page.get_by_test_id("dash").wait_for()
            alert = page.locator('tr[data-code="close_mismatch"][data-kiosk="K-0042"]')
            await expect(alert).to_have_count(1)  # the close of the 2nd agrees: no alert of it
            await expect(alert).to_contain_text("K-0042")
            await expect(alert).to_contain_text("日结与差异记录不符")
            await expect(alert.get_by_test_id("alert-detail")).to_have_text(
                f"日结 2026-12-03（审计 #{kiosk.audit_seq}）：未结差异金额签为 ¥20.00，差异记录为 ¥70.00")
            OUT.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(OUT / "close-mismatch-zh-CN.png"))
            await page.get_by_test_id("lang").click()
            await expect(alert.get_by_test_id("alert-detail")).to_have_text(
                f"daily close 2026-12-03 (audit #{kiosk.audit_seq}): their total signed ¥20.00, "
                "the difference records give ¥70.00")
            await expect(alert).to_contain_text("daily close disagrees with the difference records")
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.screenshot(path=str(OUT / "close-mismatch-phone-en.png"), full_page=True)
    finally:
        await ref.stop()
        ref.close()
