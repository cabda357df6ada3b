"""Shared helpers of the uplink and reference-backend tests."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jws import sign
from kioskd.ledger import Ledger
from kioskd.ledger.records import utc_now
from statemachine.ports import AccountInfo

KIOSK = "K-0001"
ZHANG = "0012345678"  # 张*明, owes 12350 fen
BLOCKED = "0099999999"
LOW_MAX = "0045678901"  # max 100000 fen per payment


def account(number: str = ZHANG, due: int = 12350) -> AccountInfo:
    """A looked-up account as the backend would answer it."""
    return AccountInfo(account=number, holder="张*明", due=due, balance=-due, currency="CNY", min=100, max=500000)


async def paid(ledger: Ledger, *values: int, number: str = ZHANG) -> str:
    """A whole cash session in the real journal, closed; returns the txn id."""
    txn = await ledger.open_payment(account(number))
    for value in values:
        await ledger.stack_requested(txn, value)
        await ledger.commit_note(txn, value)
    await ledger.close_payment(txn)
    return txn


_SEQS = itertools.count(1_000_000)  # far from the seqs tests give: those mean something to them


def payment_payload(txn: str | None = None, amount: int = 15000, account_no: str = ZHANG,
                    seq: int | None = None) -> dict[str, Any]:
    """A well-formed payment payload of notes of 5000 fen (amount must be a multiple).

    Without a seq each payload gets one of its own: a backend credits a kiosk's seq once.
    """
    at = "2026-11-23T02:00:00.000Z"
    return {
        "type": "payment", "kiosk": KIOSK, "txn": txn or str(uuid.uuid4()), "seq": next(_SEQS) if seq is None else seq,
        "account": account_no, "amount": amount, "currency": "CNY",
        "notes": [{"value": 5000, "at": at}] * (amount // 5000),
        "started": at, "ended": "2026-11-23T02:01:00.000Z",
    }


def lookup_token(key: Ed25519PrivateKey, account_no: str = ZHANG, ts: str | None = None, kid: str = KIOSK) -> str:
    """A signed look-up request."""
    return sign({"type": "lookup", "kiosk": kid, "account": account_no, "ts": ts or utc_now()}, key, kid)

