"""The receipt page a phone opens from the QR code, and invoices: issued once per credited payment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jws import sign
from backend_api.receipt_proof import make_proof, receipt_link
from refbackend import ReferenceBackend
from tests.refbackend.conftest import Post
from tests.uplink.support import BLOCKED, KIOSK, ZHANG, payment_payload

PAID_AT = datetime(2026, 11, 23, 2, 1, tzinfo=UTC)


def invoice_payload(txn: str, amount: int = 15000, account_no: str = ZHANG, seq: int = 1) -> dict:
    return {"type": "invoice", "kiosk": KIOSK, "txn": txn, "seq": seq, "account": account_no,
            "amount": amount, "currency": "CNY", "requested": "2026-11-23T02:02:00Z"}


async def page(backend: ReferenceBackend, path: str) -> tuple[int, str, dict]:
    async with aiohttp.ClientSession() as session, session.get(backend.url + path.lstrip("/")) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


async def test_a_verified_receipt_shows_the_backends_record_and_its_invoice(
        backend: ReferenceBackend, post: Post, key: Ed25519PrivateKey) -> None:
    txn = str(uuid.uuid4())
    assert (await post("v1/payments", sign(payment_payload(txn, seq=1), key, KIOSK)))[0] == 200
    proof = make_proof(key, kiosk=KIOSK, txn=txn, seq=1, amount=15000, at=PAID_AT)
    link = receipt_link(backend.url + "r/", proof)
    status, html, headers = await page(backend, link.removeprefix(backend.url))
    assert status == 200
    assert "凭条已核验：由终端 K-0001 签发" in html and "入账成功" in html and "¥150.00" in html
    assert "0012****78" in html and ZHANG not in html  # the account masked: a link can be forwarded
    assert "2026-11-23 10:01:00 +08:00" in html  # the hall's local time
    assert headers["Cache-Control"] == "no-store" and "default-src 'none'" in headers["Content-Security-Policy"]
    assert "发票" not in html.split("</header>")[1]  # no invoice asked for yet

    status, issued = await post("v1/invoices", sign(invoice_payload(txn), key, KIOSK))
    assert status == 200 and issued["status"] == "issued" and len(issued["number"]) == 20
    assert issued["url"].startswith(backend.url + "invoices/")
    status, html, _ = await page(backend, link.removeprefix(backend.url) + "?lang=en")
    assert status == 200 and "Credited" in html and issued["number"] in html and "Electronic invoice" in html

    status, html, _ = await page(backend, issued["url"].removeprefix(backend.url))
    assert status == 200 and issued["number"] in html and "张*明" in html and "¥150.00" in html


async def test_a_receipt_whose_payment_has_not_arrived_says_crediting_is_pending(
        backend: ReferenceBackend, key: Ed25519PrivateKey) -> None:
    proof = make_proof(key, kiosk=KIOSK, txn=str(uuid.uuid4()), seq=7, amount=5000, at=PAID_AT)
    status, html, _ = await page(backend, "r/" + proof + "?lang=en")
    assert status == 200 and "crediting pending" in html and "¥50.00" in html


async def test_an_altered_or_foreign_receipt_is_not_shown(backend: ReferenceBackend, post: Post,
                                                          key: Ed25519PrivateKey) -> None:
    txn = str(uuid.uuid4())
    assert (await post("v1/payments", sign(payment_payload(txn, seq=1), key, KIOSK)))[0] == 200
    proof = make_proof(key, kiosk=KIOSK, txn=txn, seq=1, amount=15000, at=PAID_AT)
    altered = proof.replace(".15000.", ".15500.")
    foreign = make_proof(Ed25519PrivateKey.generate(), kiosk=KIOSK, txn=txn, seq=1, amount=15000, at=PAID_AT)
    unknown_kiosk = make_proof(key, kiosk="K-9999", txn=txn, seq=1, amount=15000, at=PAID_AT)
    for text in (altered, foreign, unknown_kiosk, "K1.garbage", "<img src=x onerror=alert(1)>", "x" * 2000):
        status, html, _ = await page(backend, "r/" + text)
        assert status == 404 and "无法核验此凭条" in html and "<img" not in html, text[:40]
    # signed by the kiosk, but not what the backend was paid: staff must look
    other_amount = make_proof(key, kiosk=KIOSK, txn=txn, seq=1, amount=5000, at=PAID_AT)
    status, html, _ = await page(backend, "r/" + other_amount)
    assert status == 409 and "凭条与缴费记录不符" in html


async def test_an_invoice_is_issued_once_per_payment(backend: ReferenceBackend, post: Post,
                                                     key: Ed25519PrivateKey) -> None:
    txn = str(uuid.uuid4())
    # asked before the payment arrived: not a verdict, the kiosk sends it again
    assert await post("v1/invoices", sign(invoice_payload(txn), key, KIOSK)) == (409, {"error": "payment_unknown"})
    assert (await post("v1/payments", sign(payment_payload(txn, seq=1), key, KIOSK)))[0] == 200
    first = await post("v1/invoices", sign(invoice_payload(txn), key, KIOSK))
    again = await post("v1/invoices", sign(invoice_payload(txn), key, KIOSK))
    assert first == again and first[0] == 200
    changed = invoice_payload(txn)
    changed["requested"] = "2026-11-23T02:03:00Z"
    assert await post("v1/invoices", sign(changed, key, KIOSK)) == (409, {"error": "conflict"})
    second = str(uuid.uuid4())
    assert (await post("v1/payments", sign(payment_payload(second, seq=2), key, KIOSK)))[0] == 200
    status, other = await post("v1/invoices", sign(invoice_payload(second, seq=2), key, KIOSK))
    assert status == 200 and int(other["number"]) == int(first[1]["number"]) + 1


async def test_no_invoice_for_a_refused_payment_or_another_amount(backend: ReferenceBackend, post: Post,
                                                                 key: Ed25519PrivateKey) -> None:
    refused = str(uuid.uuid4())
    assert (await post("v1/payments", sign(payment_payload(refused, account_no=BLOCKED), key, KIOSK)))[0] == 422
    assert await post("v1/invoices", sign(invoice_payload(refused, account_no=BLOCKED), key, KIOSK)) == (
        422, {"error": "rejected", "reason": "payment_refused"})
    txn = str(uuid.uuid4())
    assert (await post("v1/payments", sign(payment_payload(txn, seq=2), key, KIOSK)))[0] == 200
    assert await post("v1/invoices", sign(invoice_payload(txn, amount=20000, seq=2), key, KIOSK)) == (
        422, {"error": "rejected", "reason": "amount_mismatch"})
    bad = invoice_payload(txn)
    del bad["requested"]
    status, body = await post("v1/invoices", sign(bad, key, KIOSK))
    assert status == 400 and "requested" in body["detail"]


async def test_an_invoice_issued_after_local_new_year_is_numbered_in_the_new_year(
        backend: ReferenceBackend, post: Post, key: Ed25519PrivateKey) -> None:
    txn = str(uuid.uuid4())
    assert (await post("v1/payments", sign(payment_payload(txn, seq=1), key, KIOSK)))[0] == 200
    # 2026-12-31 16:30 UTC is 2027-01-01 00:30 in the halls (Asia/Shanghai)
    status, issued = backend.store.issue_invoice(KIOSK, invoice_payload(txn), "2026-12-31T16:30:00Z",
                                                 backend.url, ZoneInfo("Asia/Shanghai"))
    assert status == 200 and issued["number"].startswith("2711")
