"""Our RFC 8785 and JWS code against the field's libraries (rfc8785, joserfc) on generated inputs.

kioskd keeps its own small backend_api/jcs.py and jws.py (docs/decisions.md says why); these
properties hold them to the libraries: the same canonical bytes for every JSON value, the
same refusals, and a verifier that accepts only what joserfc accepts too, byte for byte.
The ledger's chain hash uses json.dumps for speed: it must give RFC 8785 bytes for every value
the chain accepts.
"""

from __future__ import annotations

import base64
import json

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws as jose_jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from backend_api.errors import BadSignature, PayloadRefused
from backend_api.jcs import canonicalize
from backend_api.jws import _plainly_canonical, b64url, b64url_decode, sign, verify
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


@settings(max_examples=400)
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


def _token_over(raw: bytes) -> str:
    """A token whose payload is exactly `raw` (sign() would canonicalize it first)."""
    signing_input = f"{b64url(canonicalize({'alg': 'EdDSA', 'kid': 'K-1', 'typ': 'kioskd+jws'}))}.{b64url(raw)}"
    return f"{signing_input}.{b64url(KEY.sign(signing_input.encode('ascii')))}"


def _rfc8785_form(raw: bytes) -> bool:
    """The oracle: strict JSON (UTF-8, no duplicate keys) whose bytes are what rfc8785 writes for it."""
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique)
        return isinstance(value, dict) and rfc8785.dumps(value) == raw
    except (ValueError, rfc8785.CanonicalizationError):
        return False


def _unique(pairs: list[tuple[str, object]]) -> dict:
    if len({k for k, _ in pairs}) != len(pairs):
        raise ValueError("duplicate key")
    return dict(pairs)


_SPELLINGS = {  # ways a kiosk's JSON library might write a payload
    "rfc8785": rfc8785.dumps,
    "sorted": lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(),
    "ascii": lambda v: json.dumps(v, sort_keys=True, separators=(",", ":")).encode(),
    "unsorted": lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode(),
    "spaced": lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True).encode(),
}


@settings(max_examples=400)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=4), st.sampled_from(sorted(_SPELLINGS)))
def test_a_payload_is_accepted_exactly_in_its_rfc8785_form(payload: dict, spelling: str) -> None:
    """The verifier's fast path (C json) and its full check together accept what rfc8785 writes, nothing else."""
    try:
        raw = _SPELLINGS[spelling](payload)
    except (ValueError, TypeError, rfc8785.CanonicalizationError):  # a value that spelling cannot write
        return
    if _rfc8785_form(raw):
        assert verify(_token_over(raw), KEY.public_key())[1] == json.loads(raw)
    else:
        with pytest.raises(PayloadRefused):
            verify(_token_over(raw), KEY.public_key())


@pytest.mark.parametrize("raw", [
    b'{"a":1,"a":1}', b'{"a":1.0}', b'{"a":1e2}', b'{"a":9007199254740993}', b'{"a":"\\u0041"}',
    b'{"a":NaN}', b'{"b":1,"a":2}', b'{"a": 1}', b'\xef\xbb\xbf{"a":1}',
    '{"\ufb01":2,"\U0001f600":1}'.encode(),  # code point order; RFC 8785 sorts by UTF-16 unit
    b'{"a":"\xed\xa0\x80"}', b'[1]', b'{"a":-0}',
])
def test_payloads_not_in_their_rfc8785_form_are_refused(raw: bytes) -> None:
    assert not _rfc8785_form(raw)
    with pytest.raises(PayloadRefused):
        verify(_token_over(raw), KEY.public_key())


def test_payloads_in_rfc8785_form_that_the_fast_path_leaves_to_the_full_check_pass() -> None:
    for raw in (b'{"a":1.5}', b'{"a":"\\u0001"}', '{"\U0001f600":1,"\ufb01":2}'.encode(), b'{"a":9007199254740991}'):
        assert _rfc8785_form(raw)
        assert verify(_token_over(raw), KEY.public_key())[1] == json.loads(raw)


def test_a_kiosks_payment_takes_the_fast_path() -> None:
    """What kiosks send is decided by the C json module, not the per-character check (the fleet's load)."""
    payment = {"type": "payment", "kiosk": "K-1", "txn": "5f0c2a9e-1b7d-4c1e-9a43-2f0d6e8b7c11", "seq": 7,
               "account": "0012345678", "amount": 15000, "currency": "CNY", "started": "2026-12-03T08:00:00.000Z",
               "ended": "2026-12-03T08:01:00.000Z", "notes": [{"value": 5000, "at": "2026-12-03T08:00:30.000Z"}] * 3}
    assert _plainly_canonical(canonicalize(payment)) == payment
