"""The backend's libsodium verification agrees with cryptography's on kiosks' signatures and refuses the same forgeries."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from backend_api.jws import sign, verify
from backend_api.keys import public_b64url
from refbackend.sodium import SodiumKey
from refbackend.verification import Enrolled
from tests.uplink.support import KIOSK, payment_payload

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()


@settings(max_examples=200)
@given(st.binary(max_size=300), st.integers(0, 63), st.integers(1, 255))
def test_libsodium_accepts_what_cryptography_accepts_and_refuses_what_it_refuses(data: bytes, at: int, flip: int) -> None:
    signature = KEY.sign(data)
    SodiumKey(KEY.public_key()).verify(signature, data)
    forged = signature[:at] + bytes([signature[at] ^ flip]) + signature[at + 1:]
    for key, sig, message in ((KEY, forged, data), (OTHER, signature, data), (KEY, signature, data + b"x"),
                              (KEY, signature[:-1], data), (KEY, signature + b"\0", data)):
        with pytest.raises(InvalidSignature):
            key.public_key().verify(sig, message)
        with pytest.raises(InvalidSignature):
            SodiumKey(key.public_key()).verify(sig, message)


def test_the_backend_verifies_a_kiosks_payment_with_libsodium() -> None:
    enrolled = Enrolled.of({"public_key": public_b64url(KEY), "enabled": 1})
    assert isinstance(enrolled.checker, SodiumKey)  # the backend extra brings PyNaCl
    payload = payment_payload()
    assert verify(sign(payload, KEY, KIOSK), enrolled.checker)[1] == payload
