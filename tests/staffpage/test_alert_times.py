"""An alert card says its times one way: the card's own time and the times inside its reason (a link down
since when, its last answer; what the kiosk's clock read) are the kiosk's local 'YYYY-MM-DD HH:MM:SS' in
zh-CN and en alike, as kioskctl alerts lists them (not the browser locale's 2026/12/3 or 12/3/2026)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kioskd.cli.main import main as kioskctl
from kioskd.control.handlers import Handlers
from kioskd.control.server import ControlServer
from tests.daemon import ROOT
from tests.staffpage.browser import logged_in

from .conftest import STAFF, Page

SHOTS = ROOT / "artifacts" / "screens" / "staff"
DOWN = {"since": "2026-12-03T06:00:00Z", "tries": 4, "error": "connect", "status": None,
        "last_contact": "2026-12-03T05:58:10Z", "last_error": "backend http://b/: ClientConnectorError"}
SKEW = {"behind_s": 600, "system_clock": "2026-12-03T06:20:05Z"}
MOMENT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def local(utc_text: str) -> str:
    moment = datetime.fromisoformat(utc_text.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")


def raise_link_and_clock_alerts(page: Page) -> dict[str, str]:
    """A link down and a clock off, raised now; code -> when raised, in the kiosk's zone."""
    alerts = page.daemon.alerts
    alerts.raise_alert("backend_unreachable", device="backend", **DOWN)
    alerts.raise_alert("clock_skew", device="kiosk", **SKEW)
    return {a["code"]: local(a["raised_at"]) for a in alerts.listing()}


@pytest.mark.browser
async def test_an_alert_cards_times_read_alike_in_both_languages(staff_page: Page) -> None:
    from playwright.async_api import expect

    raised = raise_link_and_clock_alerts(staff_page)
    async with logged_in(staff_page.url, "3001", STAFF["3001"][2]) as page:
        for lang, severity in (("zh-CN", "警告"), ("en", "warning")):
            if lang == "en":
                await page.get_by_test_id("lang").click()
            for code, inside in (("backend_unreachable", [DOWN["since"], DOWN["last_contact"]]),
                                 ("clock_skew", [SKEW["system_clock"]])):
                card = page.locator(f'[data-testid="alert"][data-code="{code}"]')
                await expect(card.locator(".meta").first).to_have_text(f"{severity} · {raised[code]}")
                reason = await card.get_by_test_id("alert-reason").inner_text()
                assert MOMENT.findall(reason) == [local(at) for at in inside], reason
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / f"alert-times-{lang}.png"), full_page=True)


async def test_kioskctl_alerts_lists_their_time_in_the_kiosks_zone(staff_page: Page, tmp_path: Path) -> None:
    raised = raise_link_and_clock_alerts(staff_page)
    server = ControlServer(tmp_path / "control.sock", Handlers(staff_page.daemon).handle)
    await server.start()

    def listed(*lang: str) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert kioskctl(["alerts", "--socket", str(tmp_path / "control.sock"), *lang]) == 0
        return out.getvalue()

    try:
        for lang in ((), ("--lang", "en")):
            text = await asyncio.to_thread(listed, *lang)
            rows = {line.split()[1]: line for line in text.splitlines() if " clock_skew " in line
                    or " backend_unreachable " in line}
            assert f" {raised['clock_skew']} " in rows["clock_skew"] and local(SKEW["system_clock"]) in rows["clock_skew"]
            assert f" {raised['backend_unreachable']} " in rows["backend_unreachable"]
            assert local(DOWN["since"]) in rows["backend_unreachable"]
            assert not re.search(r"\d{4}-\d\d-\d\dT", text), text  # no stored UTC time
    finally:
        await server.stop()
