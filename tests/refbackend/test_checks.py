"""The reference backend answers exactly what the spec says to bad, stale and replayed requests."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws as jose_jws
from joserfc.jwk import OKPKey

from backend_api.jcs import canonicalize
from backend_api.jws import b64url, sign
from kioskd.ledger.records import format_utc, utc_now
from kioskd.uplink.keys import public_jwk
from refbackend import ReferenceBackend
from tests.uplink.support import BLOCKED, KIOSK, ZHANG, lookup_token, payment_payload

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
LOOKUP = "v1/accounts/lookup"


async def test_lookup_answers(post, key: Ed25519PrivateKey) -> None:
    assert await post(LOOKUP, lookup_token(key)) == (200, {
        "account": ZHANG, "holder": "张*明", "due": 12350, "balance": -12350,
        "currency": "CNY", "min": 100, "max": 500000,
    })
    assert await post(LOOKUP, lookup_token(key, "0000000001")) == (404, {"error": "unknown_account"})
    assert await post(LOOKUP, lookup_token(key, BLOCKED)) == (423, {"error": "account_blocked", "reason": "blocked"})


async def test_a_stock_jose_library_can_talk_to_it(post, key: Ed25519PrivateKey) -> None:
    jwk = OKPKey.import_key(public_jwk(key) | {"d": b64url(key.private_bytes_raw())})
    payload = {"ts": utc_now(), "type": "lookup", "kiosk": KIOSK, "account": ZHANG}
    header = {"alg": "EdDSA", "kid": KIOSK, "typ": "kioskd+jws"}
    # the payload as RFC 8785 writes it (here by the rfc8785 package), signed by joserfc
    token = jose_jws.serialize_compact(header, rfc8785.dumps(payload), jwk, algorithms=["EdDSA"])
    assert (await post(LOOKUP, token))[0] == 200
    # the same JSON written another way (spaces, key order) is refused: one spelling only
    other = jose_jws.serialize_compact(header, json.dumps(payload).encode(), jwk, algorithms=["EdDSA"])
    status, body = await post(LOOKUP, other)
    assert status == 400 and "RFC 8785" in body["detail"]


async def test_forged_signature_wrong_kid_and_kiosk_mismatch_are_401(post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    bad = {"error": "bad_signature"}
    forged = lookup_token(Ed25519PrivateKey.generate())  # right kid, wrong key
    assert await post(LOOKUP, forged) == (401, bad)
    other = Ed25519PrivateKey.generate()
    backend.enroll("K-0002", public_jwk(other)["x"])
    mismatch = sign({"type": "lookup", "kiosk": KIOSK, "account": ZHANG, "ts": utc_now()}, other, "K-0002")
    assert await post(LOOKUP, mismatch) == (401, bad)  # K-0002 speaking for K-0001
    head, body, sig = lookup_token(key).split(".")
    altered = b64url(canonicalize({"type": "lookup", "kiosk": KIOSK, "account": BLOCKED, "ts": utc_now()}))
    assert await post(LOOKUP, f"{head}.{altered}.{sig}") == (401, bad)
    assert await post(LOOKUP, "not a jws") == (401, bad)


async def test_stale_and_replayed_lookups_and_alerts_are_401_stale(post, key: Ed25519PrivateKey) -> None:
    old = format_utc(datetime.now(UTC) - timedelta(seconds=301))
    future = format_utc(datetime.now(UTC) + timedelta(seconds=301))
    assert await post(LOOKUP, lookup_token(key, ts=old)) == (401, {"error": "stale"})
    assert await post(LOOKUP, lookup_token(key, ts=future)) == (401, {"error": "stale"})
    alert = {"type": "alert", "kiosk": KIOSK, "id": str(uuid.uuid4()), "code": "door_open", "severity": "warning",
             "state": "raised", "at": old, "ts": old, "detail": {}}
    assert await post("v1/alerts", sign(alert, key, KIOSK)) == (401, {"error": "stale"})
    # a payment may arrive days late: no ts check on it
    late = payment_payload()
    late["started"], late["ended"] = "2026-01-01T00:00:00.000Z", "2026-01-01T00:01:00.000Z"
    late["notes"] = [{"value": 5000, "at": "2026-01-01T00:00:30.000Z"}] * 3
    assert (await post("v1/payments", sign(late, key, KIOSK)))[0] == 200


@pytest.mark.parametrize(
    ("path", "change", "detail"),
    [
        ("v1/payments", {"type": "refund"}, "type: unknown"),
        ("v1/payments", {"amount": 15001}, "sum of notes"),
        ("v1/payments", {"amount": 150.0}, "amount"),
        ("v1/payments", {"txn": "42"}, "txn: UUID"),
        ("v1/payments", {"seq": 0}, "seq"),
        ("v1/payments", {"started": "2026-11-23 02:00:00"}, "started"),
        ("v1/payments", {"bonus": 1}, "unknown fields"),
        ("v1/payments", {"notes": []}, "notes"),
        ("v1/accounts/lookup", {}, "type: 'payment' sent to the lookup endpoint"),
    ],
)
async def test_malformed_payloads_are_400_bad_request(post, key: Ed25519PrivateKey, path: str, change: dict, detail: str) -> None:
    payload = payment_payload() | change
    status, answer = await post(path, sign(payload, key, KIOSK))
    assert (status, answer["error"]) == (400, "bad_request") and detail in answer["detail"]


async def test_missing_field_is_400(post, key: Ed25519PrivateKey) -> None:
    payload = payment_payload()
    del payload["currency"]
    status, answer = await post("v1/payments", sign(payload, key, KIOSK))
    assert status == 400 and "currency" in answer["detail"]


async def test_payments_are_idempotent_and_conflicts_409(post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    payload = payment_payload(amount=15000)
    first = await post("v1/payments", sign(payload, key, KIOSK))
    assert first == (200, {"txn": payload["txn"], "status": "credited", "balance": 2650, "ref": first[1]["ref"]})
    # the same payload, even serialised differently, is the same payment
    again = await post("v1/payments", sign(dict(reversed(payload.items())), key, KIOSK))
    assert again == first
    changed = payment_payload(txn=payload["txn"], amount=10000)
    assert await post("v1/payments", sign(changed, key, KIOSK)) == (409, {"error": "conflict"})
    assert backend.credits(KIOSK) == {payload["txn"]: 15000}


async def test_422_for_blocked_unknown_and_over_max_credits_nothing(post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    for seq, (account_no, reason) in enumerate(
            ((BLOCKED, "account_blocked"), ("0000000001", "unknown_account"), ("0045678901", "over_max")), 1):
        payload = payment_payload(amount=105000, account_no=account_no, seq=seq)  # a seq is used once
        assert await post("v1/payments", sign(payload, key, KIOSK)) == (422, {"error": "rejected", "reason": reason})
        assert await post("v1/payments", sign(payload, key, KIOSK)) == (422, {"error": "rejected", "reason": reason})
    assert backend.credited_total(KIOSK) == 0


async def test_alerts_are_idempotent_per_id_and_state(post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    alert_id = str(uuid.uuid4())
    for state in ("raised", "raised", "cleared"):
        alert = {"type": "alert", "kiosk": KIOSK, "id": alert_id, "code": "printer_paper_out", "severity": "warning",
                 "state": state, "at": "2026-11-23T02:00:00.000Z", "ts": utc_now(), "detail": {"printer": "escpos"}}
        assert await post("v1/alerts", sign(alert, key, KIOSK)) == (200, {"id": alert_id})
    assert [(a["id"], a["state"]) for a in backend.store.report()["alerts"]] == [(alert_id, "raised"), (alert_id, "cleared")]
