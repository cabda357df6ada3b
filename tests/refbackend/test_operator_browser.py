"""The operator's view in a real Chromium over a simulated fleet of 300 kiosks in 12 halls."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from backend_api.keys import public_b64url
from refbackend import ReferenceBackend
from refbackend.fleet.config import FleetConfig
from refbackend.operators import add_operator
from refbackend.testbed.kiosks import SimKiosk, ago
from tests.chromium import SHOTS, launched
from tests.refbackend.fleetsim import FleetClient

pytestmark = [
    pytest.mark.browser,
]
OUT = SHOTS / "operator"
PASSWORD = "correct horse battery"


@pytest.fixture
async def fleet(tmp_path: Path) -> AsyncIterator[ReferenceBackend]:
    ref = ReferenceBackend(tmp_path / "fleet.sqlite3", fleet=FleetConfig(silent_after=900))
    await ref.start()
    add_operator(ref.store, "ana", "王安娜", PASSWORD)
    rng = random.Random(3)
    async with aiohttp.ClientSession() as session:
        net = FleetClient(ref, session)
        kiosks = [net.enrol(SimKiosk(f"K-{i:04d}", f"H-{i % 12 + 1:02d}")) for i in range(300)]
        for k in kiosks:
            notes = 1420 if k.kid == "K-0007" else rng.randrange(50, 1100)
            assert (await net.post(k, "v1/status", k.status(notes, paper=rng.choice(["ok"] * 9 + ["low"]))))[0] == 200
        for k in rng.sample(kiosks, 120):
            assert (await net.post(k, "v1/payments", k.payment(rng.choice((5000, 10000, 20000)))))[0] == 200
    # enrolled two hours ago and never heard from since
    quiet = SimKiosk("K-0300", "H-01")
    ref.store.enroll(quiet.kid, public_b64url(quiet.key), quiet.hall, ago(hours=2))
    yield ref
    await ref.stop()
    ref.close()


async def test_the_operator_sees_the_fleet_in_chinese_and_english_on_a_phone(fleet: ReferenceBackend) -> None:
    from playwright.async_api import expect

    OUT.mkdir(parents=True, exist_ok=True)
    async with launched() as chromium:
        page = await chromium.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        await page.goto(fleet.url + "operator/")
        await page.get_by_test_id("login").wait_for()
        await page.get_by_test_id("login-name").fill("ana")
        await page.get_by_test_id("password").fill("wrong password")
        await page.get_by_test_id("login-button").click()
        await expect(page.get_by_test_id("login-error")).to_have_text("账号或密码错误")
        await page.get_by_test_id("password").fill(PASSWORD)
        await page.get_by_test_id("login-button").click()
        await page.get_by_test_id("dash").wait_for()
        await expect(page.get_by_test_id("who")).to_have_text("王安娜")
        assert await page.locator("[data-testid=kiosks] article").count() == 301
        silent = page.locator('tr[data-code="silent"][data-kiosk="K-0300"]')
        assert "终端失联" in await silent.inner_text()
        full = page.locator('tr[data-code="box_near_full"][data-kiosk="K-0007"]')
        assert "钱箱将满" in await full.inner_text()
        # the critical silent kiosk comes before the warning
        codes = await page.locator("[data-testid=alerts] tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
        assert codes.index("silent") < codes.index("box_near_full")
        assert await page.locator("[data-testid=halls] tbody tr").count() == 12
        await page.screenshot(path=str(OUT / "fleet-zh-CN.png"))
        await page.get_by_test_id("lang").click()
        await expect(full).to_contain_text("cash box nearly full")
        await expect(page.locator('[data-testid=hall] option[value=""]')).to_have_text("all")
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.get_by_test_id("problems").check()
        await page.get_by_test_id("hall").select_option("H-08")
        cards = page.locator("[data-testid=kiosks] article")
        await expect(cards).to_have_count(1)
        assert await cards.first.get_attribute("data-kiosk") == "K-0007"
        assert "Full on" in await cards.first.inner_text()
        await expect(page.get_by_test_id("kiosk-count")).to_have_text("1 kiosk")
        await expect(page.get_by_test_id("updated")).to_have_text(re.compile(r"^\d\d-\d\d \d\d:\d\d$"))
        await page.screenshot(path=str(OUT / "fleet-phone-en.png"), full_page=True)
        await page.get_by_test_id("logout").click()
        await page.get_by_test_id("login").wait_for()
