"""A sample payment and a fixed kiosk key shared by the receipt and printer tests."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kioskd.customer.receipts.layout import ReceiptData

# A fixed seed: Ed25519 signatures are deterministic, so receipts are byte-for-byte stable.
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
TXN = "5f0c2a9e-8b1d-4c3e-9a7f-2d6b8e1f4a30"
PAID_AT = datetime(2024, 5, 1, 10, 30, 5, tzinfo=UTC)  # 18:30:05 in Shanghai

CREDITED = ReceiptData(
    hall="国网东城营业厅",
    kiosk="K-0042",
    seq=17,
    txn=TXN,
    time=PAID_AT,
    account="110234567890",
    holder="张*明",
    notes=(10000, 5000),
    total=15000,
    status="credited",
    balance=32050,
    ref="B20240501-0001",
)

PENDING = ReceiptData(
    hall="Dongcheng Hall",
    kiosk="K-0042",
    seq=18,
    txn="0b7e3f5a-1c2d-4e6f-8a9b-0c1d2e3f4a5b",
    time=datetime(2024, 12, 31, 16, 59, 59, tzinfo=UTC),  # 00:59:59 next day, local
    account="110234567891",
    holder="李*",
    notes=(2000,),
    total=2000,
    status="pending",
    duplicate=2,
)
