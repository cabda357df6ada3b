"""The invoice (发票) and the e-receipt at the real daemon: the result screen's key in Chromium, the
printed slip and receipt QR codes opened on a phone; with the backend away, the request is kept
and the invoice issued once it is back. One daemon for the module."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.chromium import ARGS, CHROMIUM, SHOTS
from tests.daemon import start_kiosk, until_journal
from tests.screen.test_customer_in_browser import Customer
from tests.screen.test_customer_told import back_to_idle, to_cash

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]
OUT = SHOTS / "invoice"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
BACK_WITHIN = 120.0  # seconds: the outbox's backoff brings the payment and then the invoice


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def desk(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Customer, Any]]:
    from playwright.async_api import async_playwright

    kiosk = await start_kiosk(tmp_path_factory.mktemp("invoice") / "state")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        await page.goto(kiosk.page_url)
        phone = await browser.new_page(**PHONE, locale="zh-CN")
        try:
            yield Customer(page, kiosk), phone
            assert errors == [], errors
        finally:
            await browser.close()
            await kiosk.stop()


async def pay(customer: Customer, value: int, *, backend_goes: bool = False) -> None:
    await back_to_idle(customer)
    await to_cash(customer)
    if backend_goes:  # after the look-up: the payment itself meets a backend that is away
        await customer.kiosk.fault("backend_down", True)
    await customer.kiosk.insert(value)
    await customer.kiosk.until(lambda s: s["total"] == value and s["state"] == "payment_cash_waiting", "the note")
    await customer.press("finish")
    await customer.sees_state("payment_done")


async def printed_qr(customer: Customer, text: str) -> str:
    """The QR code of the latest printout that says `text` (waits, bounded)."""
    await customer.kiosk.until_printed(text)
    return (await customer.kiosk.sim_state())["qr"][0]


async def test_an_invoice_asked_for_on_the_result_screen_is_printed_and_opens_on_a_phone(desk) -> None:
    from playwright.async_api import expect

    customer, phone = desk
    await pay(customer, 10000)
    receipt_link = await printed_qr(customer, "入账成功")
    assert "/r/K1." in receipt_link
    invoice_key = customer.page.locator('[data-key="invoice"]')
    await expect(invoice_key).to_be_visible()
    await customer.press("invoice")
    shown = customer.page.locator('[data-testid="invoice"][data-invoice="issued"]')
    await shown.wait_for(timeout=20000)
    # the page's socket may deliver before ours: the number as our snapshot has it, once it has it
    issued = await customer.kiosk.until(lambda s: (s["invoice"] or {}).get("state") == "issued", "the invoice")
    number = issued["invoice"]["number"]
    assert number and number in await shown.inner_text()
    await expect(invoice_key).to_be_hidden()  # once per payment
    OUT.mkdir(parents=True, exist_ok=True)
    await customer.page.screenshot(path=str(OUT / "kiosk-invoice-issued-zh-CN.png"))
    slip = await customer.kiosk.until_printed(f"发票号码: {number}")
    assert "电子发票" in slip
    invoice_link = (await customer.kiosk.sim_state())["qr"][0]
    await phone.goto(invoice_link)
    assert number in await phone.locator("main").inner_text()
    await phone.screenshot(path=str(OUT / "phone-invoice-zh-CN.png"), full_page=True)
    # the receipt printed before it now shows the invoice too
    await phone.goto(receipt_link)
    text = await phone.locator("main").inner_text()
    assert "入账成功" in text and number in text and "¥100.00" in text
    await phone.screenshot(path=str(OUT / "phone-receipt-zh-CN.png"), full_page=True)


async def test_with_the_backend_away_the_request_is_kept_and_the_invoice_issued_when_it_is_back(desk) -> None:
    customer, phone = desk
    kiosk = customer.kiosk
    try:
        await pay(customer, 5000, backend_goes=True)
        done = await kiosk.until(lambda s: s["state"] == "payment_done", "the result")  # our socket may lag the page's
        assert done["result"]["status"] == "pending"
        await printed_qr(customer, "入账处理中")
        await customer.press("lang")
        await customer.press("invoice")
        await customer.page.locator('[data-testid="invoice"][data-invoice="pending"]').wait_for(timeout=20000)
        await customer.page.screenshot(path=str(OUT / "kiosk-invoice-pending-en.png"))
        link = await printed_qr(customer, "Invoice requested; scan to see it once issued")
        txn = done["result"]["txn"]
    finally:
        await kiosk.fault("backend_down", False)
    # the payment is credited at the outbox's next try, then the kept request is sent
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BACK_WITHIN
    while (number := issued_number(kiosk.state_dir / "backend.sqlite3", txn)) is None:
        assert loop.time() < deadline, f"no invoice for {txn} within {BACK_WITHIN:.0f} s of the backend's return"
        await asyncio.sleep(0.5)  # the backend's store: nothing to wait on but the file
    await phone.goto(link + "?lang=en")
    text = await phone.locator("main").inner_text()
    assert "Credited" in text and number in text
    await phone.screenshot(path=str(OUT / "phone-receipt-invoice-later-en.png"), full_page=True)
    # the backend stores the invoice before it answers; the kiosk journals it once the answer is in
    await until_journal(kiosk.state_dir, "SELECT COUNT(*) FROM invoices WHERE txn = ? AND state = 'issued'", txn)
    with sqlite3.connect(kiosk.state_dir / "journal.sqlite3") as journal:
        assert journal.execute("SELECT state, number FROM invoices WHERE txn = ?", (txn,)).fetchone() == (
            "issued", number)


def issued_number(backend_db, txn: str) -> str | None:
    with sqlite3.connect(backend_db) as db:
        row = db.execute("SELECT number FROM invoices WHERE txn = ? AND status = 200", (txn,)).fetchone()
    return None if row is None else row[0]
