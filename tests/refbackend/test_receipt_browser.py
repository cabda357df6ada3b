"""A receipt's QR link and its invoice opened on a phone in a real Chromium (zh-CN, English)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jws import sign
from backend_api.receipt_proof import make_proof, receipt_link
from refbackend import ReferenceBackend
from tests.chromium import SHOTS, launched
from tests.refbackend.test_receipt_pages import invoice_payload
from tests.uplink.support import KIOSK, payment_payload

pytestmark = [
    pytest.mark.browser,
]
OUT = SHOTS / "e-receipt"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


@pytest.fixture
async def paid(tmp_path: Path) -> AsyncIterator[tuple[ReferenceBackend, str, str]]:
    """A backend holding one credited payment of the kiosk, with its invoice; the receipt link."""
    key = Ed25519PrivateKey.generate()
    ref = ReferenceBackend(tmp_path / "backend.sqlite3")
    ref.enroll(KIOSK, key.public_key(), hall="H-DONGCHENG")
    await ref.start()
    txn = str(uuid.uuid4())
    headers = {"Content-Type": "application/jose"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for path, body in (("v1/payments", payment_payload(txn, amount=20000, seq=1)),
                           ("v1/invoices", invoice_payload(txn, amount=20000))):
            async with session.post(ref.url + path, data=sign(body, key, KIOSK)) as resp:
                assert resp.status == 200, await resp.text()
                number = (await resp.json()).get("number", "")
    proof = make_proof(key, kiosk=KIOSK, txn=txn, seq=1, amount=20000, at=datetime(2026, 11, 23, 2, 1, tzinfo=UTC))
    yield ref, receipt_link(ref.url + "r/", proof), number
    await ref.stop()
    ref.close()


async def test_the_receipt_and_its_invoice_open_on_a_phone(paid: tuple[ReferenceBackend, str, str]) -> None:
    from playwright.async_api import expect

    ref, link, number = paid
    OUT.mkdir(parents=True, exist_ok=True)
    async with launched() as chromium:
        page = await chromium.new_page(**PHONE, locale="zh-CN")
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        await page.goto(link)
        await expect(page.locator("h1")).to_have_text("缴费凭条")
        await expect(page.locator("[data-status=credited]")).to_have_text("入账成功")
        body = await page.locator("main").inner_text()
        for seen in ("凭条已核验", "H-DONGCHENG", "0012****78", "张*明", "¥200.00", number):
            assert seen in body, seen
        # fits the phone: nothing wider than the screen
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await page.screenshot(path=str(OUT / "receipt-zh-CN.png"), full_page=True)
        await page.get_by_test_id("lang").click()
        await expect(page.locator("[data-status=credited]")).to_have_text("Credited")
        await page.screenshot(path=str(OUT / "receipt-en.png"), full_page=True)
        await page.get_by_test_id("open-invoice").click()
        await expect(page.locator("h1")).to_have_text("Electronic invoice")
        assert number in await page.locator("main").inner_text()
        await page.screenshot(path=str(OUT / "invoice-en.png"), full_page=True)
        assert errors == []  # the style sheet and every link loaded
        # the amount changed on the way: the page is answered 404 and says so
        await page.goto(link.replace(".20000.", ".2000."))
        await expect(page.locator("[data-status=invalid]")).to_have_text("无法核验此凭条")
        await page.screenshot(path=str(OUT / "receipt-altered-zh-CN.png"), full_page=True)
