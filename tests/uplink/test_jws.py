"""Compact JWS: kioskd's tokens verify with a stock JOSE library; tampering is caught."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws as jose_jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import OKPKey

from backend_api.errors import BadSignature, PayloadRefused
from backend_api.jcs import canonicalize
from backend_api.jws import b64url, b64url_decode, sign, unverified_header, verify
from kioskd.uplink.keys import public_jwk
from tests.uplink.support import KIOSK, payment_payload

# The spec uses RFC 8037 "EdDSA" on purpose; joserfc warns that RFC 9864 prefers "Ed25519".
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def test_joserfc_verifies_kioskd_token_and_sees_the_jcs_payload(key: Ed25519PrivateKey) -> None:
    payload = payment_payload()
    token = sign(payload, key, KIOSK)
    jwk = OKPKey.import_key(public_jwk(key))
    obj = jose_jws.deserialize_compact(token, jwk, algorithms=["EdDSA"])
    assert obj.headers() == {"alg": "EdDSA", "kid": KIOSK, "typ": "kioskd+jws"}
    assert obj.payload == canonicalize(payload)
    assert json.loads(obj.payload) == payload


def test_joserfc_rejects_a_token_signed_by_another_key(key: Ed25519PrivateKey) -> None:
    token = sign(payment_payload(), Ed25519PrivateKey.generate(), KIOSK)
    with pytest.raises(BadSignatureError):
        jose_jws.deserialize_compact(token, OKPKey.import_key(public_jwk(key)), algorithms=["EdDSA"])


def test_signing_is_deterministic_and_round_trips(key: Ed25519PrivateKey) -> None:
    payload = payment_payload()
    token = sign(payload, key, KIOSK)
    assert sign(dict(reversed(payload.items())), key, KIOSK) == token  # key order does not matter
    header, back = verify(token, key.public_key())
    assert back == payload and header["kid"] == KIOSK
    assert unverified_header(token)["kid"] == KIOSK


def test_we_verify_a_token_made_by_joserfc(key: Ed25519PrivateKey) -> None:
    jwk = OKPKey.import_key(public_jwk(key) | {"d": b64url(key.private_bytes_raw())})
    token = jose_jws.serialize_compact(
        {"alg": "EdDSA", "kid": KIOSK, "typ": "kioskd+jws"}, b'{"a":1}', jwk, algorithms=["EdDSA"]
    )
    assert verify(token, key.public_key())[1] == {"a": 1}
    # the same payload written another way verifies, and is still refused: one spelling only
    other = jose_jws.serialize_compact(
        {"alg": "EdDSA", "kid": KIOSK, "typ": "kioskd+jws"}, b'{"a": 1}', jwk, algorithms=["EdDSA"]
    )
    with pytest.raises(PayloadRefused):
        verify(other, key.public_key())


def test_altered_payload_wrong_key_and_alg_none_are_refused(key: Ed25519PrivateKey) -> None:
    token = sign(payment_payload(amount=15000), key, KIOSK)
    head, body, sig = token.split(".")
    richer = b64url(canonicalize(payment_payload(amount=150000)))
    with pytest.raises(BadSignature):
        verify(f"{head}.{richer}.{sig}", key.public_key())
    with pytest.raises(BadSignature):
        verify(token, Ed25519PrivateKey.generate().public_key())
    none_head = b64url(b'{"alg":"none","kid":"K-0001"}')
    with pytest.raises(BadSignature, match="alg"):
        verify(f"{none_head}.{body}.", key.public_key())
    for garbage in ("", "a.b", "a.b.c.d", f"{head}.{body}.!!!"):
        with pytest.raises(BadSignature):
            verify(garbage, key.public_key())


def test_b64url_has_no_padding_and_refuses_it() -> None:
    assert b64url(b"\xff\xfe") == "__4"
    assert b64url_decode("__4") == b"\xff\xfe"
    with pytest.raises(ValueError):
        b64url_decode("__4=")
