"""Compact JWS (RFC 7515) with EdDSA/Ed25519 (RFC 8037) over JCS payloads."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from backend_api.errors import BadSignature, PayloadRefused
from backend_api.jcs import canonicalize
from backend_api.strictjson import MAX_DEPTH, JsonRefused, depth, loads

TYP = "kioskd+jws"
ALG = "EdDSA"


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url in its one spelling; raise ValueError on anything else.

    No padding, no other alphabet, no unused bits set in the last character: each byte string
    has exactly one encoding, so a re-encoded token can never pass for another one.
    """
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as err:
        raise ValueError(f"bad base64url: {err}") from err
    if b64url(raw) != text:
        raise ValueError("not the canonical base64url of its bytes (unused bits set)")
    return raw


def sign(payload: dict[str, Any], key: Ed25519PrivateKey, kid: str) -> str:
    """Sign the JCS form of `payload`; deterministic: same input, same token."""
    header = canonicalize({"alg": ALG, "kid": kid, "typ": TYP})
    signing_input = f"{b64url(header)}.{b64url(canonicalize(payload))}"
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = loads(raw)
    except JsonRefused as err:
        raise BadSignature(f"JWS {what} is not JSON we accept: {err}") from err
    if not isinstance(value, dict):
        raise BadSignature(f"JWS {what} is not a JSON object")
    return value


# Where json.dumps(sort_keys) and RFC 8785 may part: \u escapes and 4-byte UTF-8 (a character
# beyond U+FFFF sorts by code point there, by UTF-16 unit here), runs of 16 digits (past 2**53 - 1).
# Found with bytes methods: one regex over a 100 KB batch cost more than its JSON parse.
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_FOUR_BYTE_UTF8 = re.compile(rb"[\xf0-\xff]")


def _unsure(raw: bytes) -> bool:
    """Whether `raw` holds anything where json.dumps and RFC 8785 may write differently."""
    return (b"\\u" in raw or b"0" * 16 in raw.translate(_DIGITS_AS_ZEROS)
            or (not raw.isascii() and _FOUR_BYTE_UTF8.search(raw) is not None))


class _NotPlain(ValueError):
    """A number with a fraction or exponent, NaN or Infinity: left to the full check."""


def _not_plain(_: str) -> float:
    raise _NotPlain


def _plainly_canonical(raw: bytes) -> dict[str, Any] | None:
    """The payload when the C json module shows that `raw` is its RFC 8785 form, else None (undecided).

    Every payload we sign (strings, integers, no floats) takes this path: json.dumps with sorted
    keys writes exactly RFC 8785 for it (the same escapes; code point order is UTF-16 order without
    characters beyond U+FFFF); duplicate keys shorten the re-encoding, so they never match.
    Anything else is decided by the full check below, which also names the problem.
    """
    if _unsure(raw):
        return None
    try:
        value = json.loads(raw.decode("utf-8"), parse_float=_not_plain, parse_constant=_not_plain)
        again = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    except (ValueError, RecursionError):  # _NotPlain, not JSON or UTF-8, a lone surrogate: undecided
        return None
    if again != raw or not isinstance(value, dict) or depth(value) > MAX_DEPTH:
        return None
    return value


def _canonical_payload(raw: bytes) -> dict[str, Any]:
    """The payload of a verified JWS: strict JSON whose bytes are exactly its RFC 8785 form."""
    plain = _plainly_canonical(raw)
    if plain is not None:
        return plain
    try:
        value = loads(raw)
    except JsonRefused as err:
        raise PayloadRefused(f"payload: {err}") from err
    if not isinstance(value, dict):
        raise PayloadRefused("payload is not a JSON object")
    try:
        canonical = canonicalize(value)
    except (TypeError, ValueError) as err:
        raise PayloadRefused(f"payload: {err}") from err
    if canonical != raw:
        raise PayloadRefused("payload is not in its RFC 8785 (JCS) form")
    return value


def _split(token: str) -> tuple[str, str, str]:
    parts = token.split(".")
    if len(parts) != 3:
        raise BadSignature("JWS is not in compact serialization (3 parts)")
    return parts[0], parts[1], parts[2]


def unverified_header(token: str) -> dict[str, Any]:
    """The protected header, NOT verified: only to pick the key by `kid`."""
    header_b64, _, _ = _split(token)
    try:
        return _json_object(b64url_decode(header_b64), "header")
    except ValueError as err:
        raise BadSignature(f"JWS header: {err}") from err


class SignatureCheck(Protocol):
    """An Ed25519 public key as cryptography's: verify() returns, or raises InvalidSignature."""

    def verify(self, signature: bytes, data: bytes) -> None: ...


def verify(token: str, public_key: Ed25519PublicKey | SignatureCheck) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify `token` with `public_key`; (header, payload), else BadSignature or PayloadRefused."""
    header_b64, payload_b64, sig_b64 = _split(token)
    try:
        header_raw, payload_raw, signature = map(b64url_decode, (header_b64, payload_b64, sig_b64))
    except ValueError as err:
        raise BadSignature(f"JWS: {err}") from err
    header = _json_object(header_raw, "header")
    if header.get("alg") != ALG:
        raise BadSignature(f"JWS alg {header.get('alg')!r} is not {ALG}")
    if "crit" in header:
        raise BadSignature("JWS crit header parameters are not supported")
    try:
        public_key.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"))
    except InvalidSignature as err:
        raise BadSignature("JWS signature does not verify") from err
    return header, _canonical_payload(payload_raw)
