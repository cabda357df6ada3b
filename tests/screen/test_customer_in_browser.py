"""A customer at the real daemon's screen in Chromium: keys on the on-screen keypad, notes
from the validator emulator (through /sim), everything else as the customer would see it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.chromium import launched
from tests.daemon import ROOT, RunningKiosk, start_kiosk

SHOTS = ROOT / "artifacts" / "screens" / "daemon"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]


def config_with(tmp: Path, timeouts: str, validator: str = "") -> Path:
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    text = text.replace("[validator]\n", "[validator]\n" + validator, 1)
    path = tmp / "kiosk.toml"
    path.write_text(text + "\n[timeouts]\n" + timeouts, encoding="utf-8")
    return path


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser():
    async with launched() as chromium:
        yield chromium


class Customer:
    """A page on the kiosk's screen, pressing its on-screen keys."""

    def __init__(self, page, kiosk: RunningKiosk) -> None:
        self.page, self.kiosk = page, kiosk

    async def press(self, *keys: str) -> None:
        for key in keys:
            await self.page.click(f'[data-key="{key}"]')

    async def sees_state(self, state: str, shot: str | None = None) -> None:
        await self.page.wait_for_selector(f'[data-testid="screen"][data-state="{state}"]', timeout=20000)
        if shot:
            SHOTS.mkdir(parents=True, exist_ok=True)
            await self.page.screenshot(path=str(SHOTS / f"{shot}.png"))

    async def text(self) -> str:
        return await self.page.inner_text('[data-testid="screen"]')


async def customer_at(browser, tmp_path: Path, timeouts: str = "", validator: str = "") -> AsyncIterator[Customer]:
    kiosk = await start_kiosk(tmp_path / "state", "--config", str(config_with(tmp_path, timeouts, validator)))
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await page.goto(kiosk.page_url)
    try:
        yield Customer(page, kiosk)
    finally:
        await page.close()
        await kiosk.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def customer(browser, tmp_path) -> AsyncIterator[Customer]:
    async for c in customer_at(browser, tmp_path):
        yield c


async def test_a_full_payment_on_the_touch_keypad(customer: Customer) -> None:
    await customer.sees_state("service_idle", "01-idle")
    await customer.press(*"0012345678")
    await customer.sees_state("payment_account", "02-account")
    await customer.press("confirm")
    await customer.sees_state("payment_confirm", "03-confirm")
    assert "张*明" in await customer.text()
    await customer.press("confirm")
    await customer.sees_state("payment_cash_waiting")
    for value in (10000, 2000, 500):
        await customer.kiosk.insert(value)
        await customer.kiosk.until(lambda s, v=value: v in s["notes"], f"the {value} note counted")
    await customer.page.wait_for_selector('[data-testid="total"]:has-text("¥125.00")')
    await customer.sees_state("payment_cash_waiting", "04-cash")
    await customer.press("finish")
    await customer.sees_state("payment_done", "05-done")
    text = await customer.text()
    assert "¥125.00" in text and "缴费成功" in text
    ref = await customer.page.inner_text('[data-testid="result-ref"]')
    done = await customer.kiosk.until(lambda s: s["state"] == "payment_done", "the result")  # our socket may lag
    assert ref.strip() and ref.strip() == done["result"]["ref"]


async def test_cancel_before_paying_returns_to_the_attract_screen(customer: Customer) -> None:
    await customer.press(*"0012345678", "confirm")
    await customer.sees_state("payment_confirm")
    await customer.press("cancel")
    await customer.sees_state("service_idle")


async def test_an_unknown_account_is_explained(customer: Customer) -> None:
    await customer.press(*"0011111111", "confirm")
    await customer.sees_state("payment_help", "06-unknown-account")
    assert "未找到该户号" in await customer.text()


async def test_a_malformed_account_is_refused_on_the_screen(customer: Customer) -> None:
    await customer.press(*"123", "confirm")
    await customer.page.wait_for_selector('text=户号位数不足')
    await customer.sees_state("payment_account", "07-account-too-short")


async def test_the_language_key_switches_the_whole_screen(customer: Customer) -> None:
    await customer.press("lang")
    await customer.page.wait_for_selector('[data-testid="screen"][data-locale="en"]')
    await customer.press(*"0012345678", "confirm")
    await customer.sees_state("payment_confirm", "08-confirm-en")
    assert "Please check the details" in await customer.text()


async def test_the_cash_step_counts_down_and_times_out(browser, tmp_path) -> None:
    # 8 s: the screen, its screenshot and this read must all fit in it on a loaded machine (4 s left little)
    async for customer in customer_at(browser, tmp_path, "cash_idle = 8.0\n"):
        await customer.press(*"0012345678", "confirm")
        await customer.sees_state("payment_confirm")
        await customer.press("confirm")
        await customer.sees_state("payment_cash_waiting", "09-cash-countdown")
        seconds = int(await customer.page.get_attribute('[data-testid="countdown"]', "data-seconds"))
        assert 0 < seconds <= 8
        await customer.sees_state("service_idle")


async def test_a_note_the_kiosk_does_not_take_is_not_called_unrecognised(browser, tmp_path) -> None:
    """A 100 yuan note where the hall takes up to 50: the validator refuses it as inhibited."""
    async for customer in customer_at(browser, tmp_path, validator="denominations = [100, 500, 1000, 2000, 5000]\n"):
        await customer.press(*"0012345678", "confirm")
        await customer.sees_state("payment_confirm")
        await customer.press("confirm")
        await customer.sees_state("payment_cash_waiting")
        await customer.kiosk.insert(10000)
        await customer.kiosk.until(lambda s: s["message"] == "note_not_taken", "the note refused as not taken")
        await customer.page.wait_for_selector('[data-testid="message"]:has-text("本机现在不收取这张纸币，已退回")')
        await customer.sees_state("payment_cash_waiting", "10-note-not-taken")
        assert "无法识别" not in await customer.text()
        await customer.press("lang")
        await customer.page.wait_for_selector('[data-testid="message"]:has-text("The kiosk is not taking that note now")')
        assert customer.kiosk.snapshot["notes"] == []
