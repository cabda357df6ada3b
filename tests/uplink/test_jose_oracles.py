"""Our RFC 8785 and JWS code against the field's libraries (rfc8785, joserfc) on generated inputs.

kioskd keeps its own small backend_api/jcs.py and jws.py (docs/decisions.md says why); these
properties hold them to the libraries: the same canonical bytes for every JSON value, the
same refusals, and a verifier that accepts only what joserfc accepts too, byte for byte.
The ledger's chain hash uses json.dumps for speed: it must give RFC 8785 bytes for every value
the chain accepts.
"""

from __future__ import annotations

import base64

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jws as jose_jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from backend_api.errors import BadSignature, PayloadRefused
from backend_api.jcs import canonicalize
from backend_api.jws import b64url, b64url_decode, sign, verify
from kioskd.ledger.audit import canonical_json
from kioskd.ledger.errors import LedgerError
from kioskd.uplink.keys import public_jwk

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")

KEY = Ed25519PrivateKey.generate()
JWK = OKPKey.import_key(public_jwk(KEY))

scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False) | st.text()
# what a payload may hold: a number that reads back as an integer stays within 2**53 - 1
payload_scalars = (st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
                   | st.floats(allow_nan=False, allow_infinity=False, min_value=-(2.0**53) + 2, max_value=2.0**53 - 2)
                   | st.text())
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
ledger_values = st.recursive(st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
                             lambda inner: st.lists(inner, max_size=4)
                             | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=8),
                                               inner, max_size=4), max_leaves=20)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_canonicalize_is_rfc8785(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, TypeError):
        with pytest.raises((ValueError, TypeError)):
            canonicalize(value)
        return
    assert canonicalize(value) == expected


@settings(max_examples=400)
@given(ledger_values)
def test_the_chain_hashes_rfc8785_bytes(value: object) -> None:
    try:
        ours = canonical_json(value).encode("utf-8")
    except (LedgerError, UnicodeEncodeError):
        with pytest.raises((rfc8785.CanonicalizationError, ValueError, UnicodeEncodeError)):
            rfc8785.dumps(value).decode("utf-8").encode("utf-8")
        return
    assert ours == rfc8785.dumps(value)


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=8), payload_scalars, max_size=5))
def test_what_we_sign_joserfc_verifies_to_the_same_payload(payload: dict) -> None:
    try:
        token = sign(payload, KEY, "K-1")
    except (ValueError, TypeError):
        return
    obj = jose_jws.deserialize_compact(token, JWK, algorithms=["EdDSA"])
    assert obj.payload == canonicalize(payload)
    assert verify(token, KEY.public_key())[1] == payload


def _respellings(token: str) -> list[str]:
    head, body, sig = token.split(".")
    std = lambda part: part.replace("-", "+").replace("_", "/")  # noqa: E731
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    flipped = sig[:-1] + alphabet[alphabet.index(sig[-1]) ^ 1]
    return [f"{head}.{body}.{sig}==", f"{head}.{std(body)}.{sig}", f"{std(head)}.{body}.{sig}",
            f"{head}.{body}.{flipped}", f"{head}.{body} .{sig}", f"{head}.{body}.{sig[:-2]}"]


@settings(max_examples=100)
@given(st.dictionaries(st.text(alphabet="ab-_?>", max_size=6), st.text(alphabet="~?>-_", max_size=12),
                       min_size=1, max_size=4))
def test_we_accept_no_spelling_of_a_token_but_its_own(payload: dict) -> None:
    token = sign(payload, KEY, "K-1")
    for other in _respellings(token):
        if other == token:
            continue
        with pytest.raises((BadSignature, PayloadRefused)):
            verify(other, KEY.public_key())
        try:  # joserfc: whatever it makes of the other spelling, it is never a different payload
            obj = jose_jws.deserialize_compact(other, JWK, algorithms=["EdDSA"])
        except (JoseError, ValueError):
            continue
        assert obj.payload == canonicalize(payload)


@settings(max_examples=300)
@given(st.binary(max_size=40))
def test_base64url_decodes_only_its_canonical_spelling(raw: bytes) -> None:
    text = b64url(raw)
    assert b64url_decode(text) == raw
    assert base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)) == raw
    for other in (text + "=", text.replace("-", "+").replace("_", "/")):
        if other != text:
            with pytest.raises(ValueError):
                b64url_decode(other)
