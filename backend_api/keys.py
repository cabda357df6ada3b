"""Ed25519 public keys as the backend enrols them: raw 32 bytes in base64url."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from backend_api.jws import b64url, b64url_decode


def _raw_public(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_b64url(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key in base64url, as enrolled at the backend."""
    return b64url(_raw_public(key))


def public_key_from_b64url(text: str) -> Ed25519PublicKey:
    """Parse a raw base64url Ed25519 public key; raise ValueError if it is not one."""
    try:
        raw = b64url_decode(text)
    except ValueError as err:
        raise ValueError(f"an Ed25519 public key is 32 bytes in base64url: {err}") from err
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)
