"""Signed receipt proof: the short text in a receipt's QR code that staff or the backend verify.

Format (one line, ASCII except where the kiosk id is not)::

    K1.<kiosk>.<txn>.<seq>.<amount>.<unix>.<signature>

`txn` is the transaction UUID as 22 base64url characters (its 16 bytes), `seq` the
kiosk's serial number, `amount` the total in fen, `unix` the payment time in whole
seconds since the epoch (UTC), `signature` the Ed25519 signature (86 base64url
characters) over everything before its dot, prefixed with a domain tag. The kiosk id
may itself contain dots: the numeric fields are taken from the right.

With a receipt URL configured the QR code holds `<url><proof>` (the proof percent-encoded as
one path segment), which opens the backend's receipt page on a phone
(docs/spec/backend-api.md, "The receipt page"); `proof_in` finds the proof in either form.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = "K1"
# A domain tag keeps a proof signature from ever being valid as a JWS or batch
# signature made with the same kiosk key (and the other way round).
DOMAIN = b"kioskd receipt proof v1\n"
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class ProofError(ValueError):
    """A receipt proof that is malformed or whose signature does not verify."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str, size: int, what: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ProofError(f"receipt proof: {what} is not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as err:
        raise ProofError(f"receipt proof: {what} is not base64url") from err
    # Re-encoding must give the same text: no second spelling of the same bytes.
    if len(raw) != size or _b64url(raw) != text:
        raise ProofError(f"receipt proof: {what} has the wrong length")
    return raw


def make_proof(
    key: Ed25519PrivateKey, *, kiosk: str, txn: str, seq: int, amount: int, at: datetime
) -> str:
    """Build the signed proof text for one payment (amount in fen, `at` timezone-aware)."""
    if not kiosk or any(c.isspace() for c in kiosk):
        raise ValueError(f"kiosk id must be non-empty without spaces, got {kiosk!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValueError(f"seq must be a non-negative integer, got {seq!r}")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError(f"amount must be a non-negative integer (fen), got {amount!r}")
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware (UTC)")
    txn_bytes = uuid.UUID(txn).bytes
    unix = int(at.timestamp())
    body = f"{VERSION}.{kiosk}.{_b64url(txn_bytes)}.{seq}.{amount}.{unix}"
    signature = key.sign(DOMAIN + body.encode("utf-8"))
    return f"{body}.{_b64url(signature)}"


def parse_proof(text: str) -> tuple[dict[str, object], bytes, bytes]:
    """Split a proof into its fields, the signed bytes and the signature (no verification)."""
    text = text.strip()
    if not text.startswith(VERSION + "."):
        raise ProofError(f"receipt proof: does not start with {VERSION}.")
    parts = text[len(VERSION) + 1 :].rsplit(".", 5)
    if len(parts) != 6 or not parts[0]:
        raise ProofError("receipt proof: expected 7 dot-separated fields")
    kiosk, txn_text, seq, amount, unix, sig_text = parts
    for name, value in (("seq", seq), ("amount", amount), ("time", unix)):
        if not _DECIMAL.fullmatch(value):
            raise ProofError(f"receipt proof: {name} is not a decimal number")
    txn = str(uuid.UUID(bytes=_unb64url(txn_text, 16, "txn")))
    signature = _unb64url(sig_text, 64, "signature")
    at = datetime.fromtimestamp(int(unix), tz=UTC)
    fields: dict[str, object] = {
        "kiosk": kiosk,
        "txn": txn,
        "seq": int(seq),
        "amount": int(amount),
        "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    signed = DOMAIN + text[: len(text) - len(sig_text) - 1].encode("utf-8")
    return fields, signed, signature


def verify_proof(text: str, public_key: Ed25519PublicKey) -> dict[str, object]:
    """Check the signature and return kiosk, txn, seq, amount (fen) and at (RFC 3339 Z)."""
    fields, signed, signature = parse_proof(text)
    try:
        public_key.verify(signature, signed)
    except InvalidSignature as err:
        raise ProofError("receipt proof: signature does not match (altered, or another kiosk's key)") from err
    return fields


def receipt_link(url: str, proof: str) -> str:
    """What the QR code holds: the proof alone (`url` empty) or `url` followed by the proof."""
    return url + quote(proof, safe="") if url else proof


def proof_in(text: str) -> str:
    """The proof in a QR code's text: the text itself, or the last path segment of a receipt URL."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        return unquote(urlsplit(text).path.rsplit("/", 1)[-1])
    return text
