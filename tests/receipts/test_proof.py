"""The QR proof: what a verifier gets back, and that no field can be changed unnoticed."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend_api.receipt_proof import ProofError, make_proof, verify_proof
from tests.receipts.sample import KEY, OTHER_KEY, PAID_AT, TXN


def sample_proof(**overrides: object) -> str:
    fields: dict[str, object] = {"kiosk": "K-0042", "txn": TXN, "seq": 17, "amount": 15000, "at": PAID_AT}
    fields.update(overrides)
    return make_proof(KEY, **fields)  # type: ignore[arg-type]


def test_round_trip_gives_back_every_field() -> None:
    assert verify_proof(sample_proof(), KEY.public_key()) == {
        "kiosk": "K-0042",
        "txn": TXN,
        "seq": 17,
        "amount": 15000,
        "at": "2024-05-01T10:30:05Z",
    }


def test_kiosk_id_with_dots_round_trips() -> None:
    proof = sample_proof(kiosk="hall.7.k2")
    assert verify_proof(proof, KEY.public_key())["kiosk"] == "hall.7.k2"


def test_proof_is_short_enough_for_a_small_qr() -> None:
    # 154 bytes is what a version-7 QR holds at error correction M (45 x 45 modules).
    assert len(sample_proof(seq=99_999_999, amount=500_000)) <= 154


def test_time_in_another_zone_is_the_same_instant() -> None:
    shanghai = PAID_AT.astimezone(ZoneInfo("Asia/Shanghai"))
    assert sample_proof(at=shanghai) == sample_proof()


def _fields(proof: str) -> list[str]:
    return proof.split(".")


def _join(parts: list[str]) -> str:
    return ".".join(parts)


OTHER_TXN = base64.urlsafe_b64encode(uuid.UUID(int=1).bytes).rstrip(b"=").decode()
LATER = str(int((PAID_AT + timedelta(seconds=1)).timestamp()))


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (1, "K-0043"),  # another kiosk
        (2, OTHER_TXN),  # another transaction
        (3, "18"),  # another serial number
        (4, "150000"),  # a larger amount
        (5, LATER),  # another time
    ],
)
def test_changing_any_field_is_detected(index: int, value: str) -> None:
    parts = _fields(sample_proof())
    parts[index] = value
    with pytest.raises(ProofError, match="signature does not match"):
        verify_proof(_join(parts), KEY.public_key())


def test_changed_signature_is_detected() -> None:
    parts = _fields(sample_proof())
    sig = parts[6]
    parts[6] = ("B" if sig[0] == "A" else "A") + sig[1:]
    with pytest.raises(ProofError, match="signature does not match"):
        verify_proof(_join(parts), KEY.public_key())


def test_another_kiosks_key_does_not_verify() -> None:
    with pytest.raises(ProofError, match="signature does not match"):
        verify_proof(sample_proof(), OTHER_KEY.public_key())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "K2.K-0042.x.1.2.3.sig",
        "K1.K-0042.17.15000",
        "K1..XwwqnosdTD6afy1rjh9KMA.17.15000.1714559405.AAAA",
    ],
)
def test_malformed_text_is_refused(text: str) -> None:
    with pytest.raises(ProofError):
        verify_proof(text, KEY.public_key())


@pytest.mark.parametrize(("index", "value"), [(3, "017"), (4, "-1"), (4, "1e3"), (5, "+1714559405")])
def test_numbers_have_one_spelling_only(index: int, value: str) -> None:
    parts = _fields(sample_proof())
    parts[index] = value
    with pytest.raises(ProofError, match="not a decimal number"):
        verify_proof(_join(parts), KEY.public_key())


def test_naive_time_and_negative_amount_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sample_proof(at=datetime(2024, 5, 1, 10, 30, 5))
    with pytest.raises(ValueError, match="amount"):
        sample_proof(amount=-1)
    assert datetime.fromtimestamp(1714559405, tz=UTC) == PAID_AT
