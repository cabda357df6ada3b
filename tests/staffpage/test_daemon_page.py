"""The staff page of a whole simulated kiosk: an emulator fault raises an alert, the page shows it,
acknowledging it there shows in `kioskctl alerts --json`; in real Chromium too."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from tests.chromium import launched
from tests.daemon import ROOT, STEP, RunningKiosk, start_kiosk
from tests.staff.conftest import Staff, add_staff

from .conftest import STAFF, TOKEN

SHOTS = ROOT / "artifacts" / "screens" / "staff"
pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


class StaffKiosk:
    """A simulated kiosk with the staff page on, the page's URL and kioskctl for it."""

    def __init__(self, kiosk: RunningKiosk, url: str) -> None:
        self.kiosk, self.url, self.origin = kiosk, url, url.rstrip("/")
        self.ctl = Staff(kiosk)

    async def raise_stacker_full(self) -> dict:
        # the box reports full: one alert until staff empty it and clear it (it cannot be sensed)
        await self.kiosk.fault("stacker_full", True)
        alert = await self.ctl.until_alert("stacker_full")
        await self.kiosk.fault("stacker_full", False)
        return alert

    async def kioskctl_alert(self, code: str) -> dict:
        reply = await self.ctl.json("alerts")
        [alert] = [a for a in reply["alerts"] if a["code"] == code]
        return alert


async def staff_page_url(log: Path) -> str:
    """The URL the daemon logged for its staff page (it chose a free port)."""
    async with asyncio.timeout(STEP):
        while True:
            text = await asyncio.to_thread(log.read_text, encoding="utf-8")
            found = re.search(r"staff page: serving (http://\S+)", text)
            if found:
                return found.group(1)
            await asyncio.sleep(0.05)  # the log is another process's output: poll the file


@contextlib.asynccontextmanager
async def kiosk_with_page(tmp: Path, staff: dict[str, tuple[str, str, str]],
                          page: str = "", backend: str = "") -> AsyncIterator[tuple[RunningKiosk, str]]:
    """A simulated kiosk, idle, with its staff page on (`page`: more [staff_page] lines, `backend`: more
    [backend] lines) and the `staff` accounts; and the page's URL."""
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8").replace("[backend]\n", f"[backend]\n{backend}", 1)
    config = tmp / "kiosk.toml"
    config.write_text(text + f"\n[staff_page]\nenabled = true\nport = 0\n{page}", encoding="utf-8")
    kiosk = await start_kiosk(tmp / "s", "--config", str(config))
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await asyncio.to_thread(add_staff, tmp / "s", staff)
        yield kiosk, await staff_page_url(tmp / "daemon.log")
    finally:
        await kiosk.stop()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def staff_kiosk(tmp_path_factory) -> AsyncIterator[StaffKiosk]:
    async with kiosk_with_page(tmp_path_factory.mktemp("staffpage"), STAFF, f'token = "{TOKEN}"\n') as (kiosk, url):
        yield StaffKiosk(kiosk, url)


async def test_page_and_kioskctl_show_the_same_alert(staff_kiosk: StaffKiosk) -> None:
    k = staff_kiosk
    alert = await k.raise_stacker_full()
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(headers={"Origin": k.origin}, cookie_jar=jar) as page:
        async with page.post(k.url + "login", data={"staff": "2001", "secret": STAFF["2001"][2]}) as resp:
            assert resp.status == 200
        async with page.get(k.url + "api/status") as resp:
            shown = await resp.json()
        # a full box takes the kiosk out of service until staff empty it
        assert shown["status"]["kiosk"] == "K-SIM-01" and shown["status"]["state"] == "unavailable"
        assert shown["status"]["devices"]["validator"] == "stacker_full"
        assert [(a["id"], a["state"]) for a in shown["alerts"]] == [(alert["id"], "raised")]
        ctl_status = (await k.ctl.json("status"))
        for key in ("devices", "box", "alerts_open"):
            assert shown["status"][key] == ctl_status[key]
        async with page.post(k.url + f"api/alerts/{alert['id']}/ack") as resp:
            assert resp.status == 200
    acked = await k.kioskctl_alert("stacker_full")
    assert (acked["id"], acked["state"], acked["acknowledged_by"]) == (alert["id"], "acknowledged", "2001 王芳")
    code, _ = await k.ctl.run("alerts", "clear", alert["id"], "--by", "test")
    assert code == 0


async def test_routes_stay_on_their_own_port(staff_kiosk: StaffKiosk) -> None:
    k = staff_kiosk
    screen = k.kiosk.url
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        for path in ("ws", "sim", "sim/state", "app.js"):
            async with client.get(k.url + path) as resp:
                assert resp.status == 404, path
        async with client.post(k.url + "key", json={"key": "1"}, headers={"Origin": k.origin}) as resp:
            assert resp.status == 404
        for path in ("api/status", "staff.js"):
            async with client.get(screen + path) as resp:
                assert resp.status == 404, path
        async with client.post(screen + "login", data={"staff": "2001", "secret": STAFF["2001"][2]},
                               headers={"Origin": k.kiosk.origin}) as resp:
            assert resp.status == 404 and "Set-Cookie" not in resp.headers


@pytest.mark.browser
async def test_page_and_kioskctl_name_the_state_from_one_table(staff_kiosk: StaffKiosk) -> None:
    """A customer reprinting a receipt: both say it in the words of kioskd/hall/words.py, in both languages."""
    from playwright.async_api import expect

    from kioskd.hall.words import KIOSK_STATES

    k = staff_kiosk
    await k.kiosk.press("reprint")
    await k.kiosk.until(lambda s: s["state"] == "service_reprint_account", "the reprint's account entry")
    zh, en = KIOSK_STATES["service"]
    try:
        for lang, said in (("zh-CN", zh), ("en", en)):
            code, text = await k.ctl.run("status", "--lang", lang)
            assert code == 0 and f"K-SIM-01  {'状态' if lang == 'zh-CN' else 'state'}: {said}" in text, text
        async with launched() as browser:
            page = await browser.new_page(viewport={"width": 1100, "height": 700})
            await page.goto(k.url)
            await page.get_by_test_id("staff-id").fill("2001")
            await page.get_by_test_id("secret").fill(STAFF["2001"][2])
            await page.get_by_test_id("login-button").click()
            await expect(page.get_by_test_id("state")).to_have_text(zh)
            await expect(page.get_by_test_id("state")).to_have_attribute("title", "service_reprint_account")
            await page.get_by_test_id("lang").click()
            await expect(page.get_by_test_id("state")).to_have_text(en)
    finally:
        await k.kiosk.press("cancel")
        await k.kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")


@pytest.mark.browser
async def test_staff_use_the_page_in_chromium(staff_kiosk: StaffKiosk) -> None:
    from playwright.async_api import expect

    k = staff_kiosk
    alert = await k.raise_stacker_full()
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with launched() as browser:
        page = await browser.new_page(viewport={"width": 1100, "height": 700})
        await page.goto(k.url)
        await expect(page.get_by_test_id("login")).to_be_visible()
        await expect(page.get_by_test_id("login-button")).to_have_text("登录")
        # a wrong password: told so, with the tries left, still logged out
        await page.get_by_test_id("staff-id").fill("2001")
        await page.get_by_test_id("secret").fill("not-the-password")
        await page.get_by_test_id("login-button").click()
        await expect(page.get_by_test_id("login-error")).to_have_text("工号或密码错误，还可再试 4 次")
        await expect(page.get_by_test_id("dash")).to_be_hidden()

        await page.get_by_test_id("staff-id").fill("2001")
        await page.get_by_test_id("secret").fill(STAFF["2001"][2])
        await page.get_by_test_id("login-button").click()
        await expect(page.get_by_test_id("me")).to_have_text("2001 王芳 · 大厅工作人员")
        row = page.locator('[data-testid="alert"][data-code="stacker_full"]')
        await expect(row).to_contain_text("钱箱已满")
        await expect(row).to_contain_text("严重")
        await expect(row).to_contain_text("未确认")
        await expect(page.get_by_test_id("device-validator")).to_have_text("识币器: 钱箱已满")
        # words only: the code is for a support call, in the title (hover) and data-state
        await expect(page.get_by_test_id("state")).to_have_text("暂停服务")
        await expect(page.get_by_test_id("state")).to_have_attribute("title", "unavailable")
        await expect(page.get_by_test_id("kiosk")).to_have_text("K-SIM-01")
        await page.screenshot(path=str(SHOTS / "alert-zh-CN.png"))

        await row.get_by_test_id("ack").click()
        await expect(row).to_have_attribute("data-state", "acknowledged")
        await expect(row).to_contain_text("已确认（2001 王芳）")
        await expect(row.get_by_test_id("ack")).to_have_count(0)
        acked = await k.kioskctl_alert("stacker_full")
        assert (acked["id"], acked["state"], acked["acknowledged_by"]) == (
            alert["id"], "acknowledged", "2001 王芳")

        await page.get_by_test_id("lang").click()
        await expect(page.get_by_test_id("lang")).to_have_text("中文")
        await expect(row).to_contain_text("cash box full")
        await expect(row).to_contain_text("acknowledged (2001 王芳)")
        await expect(page.get_by_test_id("device-validator")).to_have_text("note validator: cash box full")
        await expect(page.locator("h2").first).to_have_text("Kiosk status")
        await expect(page.get_by_test_id("state")).to_have_text("out of service")
        await page.screenshot(path=str(SHOTS / "acknowledged-en.png"))

        # staff clear it with kioskctl: the page's next refresh shows it gone, no reload
        code, _ = await k.ctl.run("alerts", "clear", alert["id"], "--by", "manager")
        assert code == 0
        await expect(page.get_by_test_id("no-alerts")).to_have_text("No open alerts", timeout=10000)
        await expect(page.get_by_test_id("device-validator")).to_have_text("note validator: online")

        await page.get_by_test_id("logout").click()
        await expect(page.get_by_test_id("login")).to_be_visible()
        await page.reload()
        await expect(page.get_by_test_id("login")).to_be_visible()
        await expect(page.get_by_test_id("login-button")).to_have_text("Log in")  # the language is kept
