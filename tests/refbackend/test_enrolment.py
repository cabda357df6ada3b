"""Enrolment: a kiosk not enrolled or disabled is refused with its reason; the kiosk API's status report."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jws import sign
from kioskd.ledger.records import utc_now
from refbackend import ReferenceBackend
from tests.uplink.support import KIOSK, lookup_token, payment_payload

LOOKUP, PAYMENTS, STATUS = "v1/accounts/lookup", "v1/payments", "v1/status"


def status_payload(notes: int = 812, paper: str = "ok", kiosk: str = KIOSK) -> dict:
    return {"type": "status", "kiosk": kiosk, "ts": utc_now(), "state": "service_idle",
            "box": {"notes": notes, "amount": notes * 10000, "capacity": 1500, "since": "2026-11-20T01:00:00.000Z",
                    "by_note": {"10000": notes}},
            "paper": paper, "pending": {"count": 1, "amount": 5000}, "flagged": {"count": 0, "amount": 0},
            "outbox": 2, "alerts_open": 0}


async def test_a_kiosk_not_enrolled_is_refused_as_unknown_kiosk(post) -> None:
    other = Ed25519PrivateKey.generate()
    assert await post(LOOKUP, lookup_token(other, kid="K-0002")) == (401, {"error": "unknown_kiosk"})


async def test_a_disabled_kiosk_is_refused_and_credited_nothing_until_enabled_again(
        post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    payload = payment_payload(amount=10000)
    backend.disable(KIOSK)
    assert await post(PAYMENTS, sign(payload, key, KIOSK)) == (401, {"error": "kiosk_disabled"})
    assert await post(LOOKUP, lookup_token(key)) == (401, {"error": "kiosk_disabled"})
    # only the key's holder learns that the kiosk is disabled
    assert await post(LOOKUP, lookup_token(Ed25519PrivateKey.generate())) == (401, {"error": "bad_signature"})
    assert backend.credits(KIOSK) == {}
    backend.enroll(KIOSK, key.public_key())  # enrolling again enables it (same hall)
    status, answer = await post(PAYMENTS, sign(payload, key, KIOSK))
    assert (status, answer["status"]) == (200, "credited")
    assert backend.credits(KIOSK) == {payload["txn"]: 10000}


def test_bad_ids_halls_and_keys_are_refused_at_enrolment(backend: ReferenceBackend, key: Ed25519PrivateKey) -> None:
    with pytest.raises(ValueError, match="kiosk id"):
        backend.enroll("K 1; drop", key.public_key(), "H-1")
    with pytest.raises(ValueError, match="hall"):
        backend.enroll("K-9", key.public_key(), "")
    with pytest.raises(ValueError, match="32 bytes"):
        backend.enroll("K-9", "AAAA", "H-1")
    with pytest.raises(ValueError, match="not enrolled"):
        backend.disable("K-9")
    assert [k["kid"] for k in backend.store.kiosks()] == [KIOSK]


async def test_status_is_recorded_as_the_newest_and_counts_as_contact(
        post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    assert backend.store.kiosk(KIOSK)["last_contact"] is None
    assert await post(STATUS, sign(status_payload(800), key, KIOSK)) == (200, {"status": "recorded"})
    assert await post(STATUS, sign(status_payload(812, "low"), key, KIOSK)) == (200, {"status": "recorded"})
    [row] = backend.store.fleet_rows()["kiosks"]
    assert '"notes":812' in row["report"] and '"paper":"low"' in row["report"]
    assert row["last_contact"] == row["received"]


@pytest.mark.parametrize(("change", "detail"), [
    ({"paper": "soggy"}, "paper"),
    ({"box": {"notes": -1, "amount": 0, "capacity": 0, "since": None, "by_note": {}}}, "box.notes"),
    ({"box": {"notes": 1, "amount": 0, "capacity": 0, "since": None, "by_note": {"ten": 1}}}, "box.by_note"),
    ({"pending": {"count": 1}}, "pending"),
    ({"extra": 1}, "unknown fields"),
])
async def test_malformed_status_is_400(post, key: Ed25519PrivateKey, change: dict, detail: str) -> None:
    status, answer = await post(STATUS, sign({**status_payload(), **change}, key, KIOSK))
    assert status == 400 and answer["error"] == "bad_request" and detail in answer["detail"]
