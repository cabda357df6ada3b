"""Ed25519 verification through libsodium (PyNaCl) where it is installed: half the instructions of OpenSSL's.

Verifying signatures was 42% of the backend's instructions per request under the fleet load
(callgrind): cryptography's OpenSSL build verifies with generic 32-bit field code, 1.46 M
instructions per signature; libsodium with 64-bit code, 0.71 M. Both implement RFC 8032;
libsodium also refuses small-order keys and non-canonical points, which no kiosk's key or
signature is. Without PyNaCl the backend verifies with cryptography, as the kiosk does.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

try:
    from nacl.bindings import crypto_sign_BYTES, crypto_sign_open
    from nacl.exceptions import BadSignatureError
    HAVE_SODIUM = True
except ImportError:  # the backend extra brings PyNaCl; kioskd alone does not need it
    HAVE_SODIUM = False


class SodiumKey:
    """An enrolled Ed25519 public key whose verify() runs in libsodium; raises InvalidSignature as cryptography's."""

    def __init__(self, key: Ed25519PublicKey) -> None:
        self._raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    def verify(self, signature: bytes, data: bytes) -> None:
        """Return if `signature` is this key's over `data`, else raise InvalidSignature."""
        if len(signature) != crypto_sign_BYTES:
            raise InvalidSignature("an Ed25519 signature is 64 bytes")
        try:
            crypto_sign_open(signature + data, self._raw)
        except BadSignatureError:
            raise InvalidSignature from None


def fast_key(key: Ed25519PublicKey) -> Ed25519PublicKey | SodiumKey:
    """The key to verify requests with: libsodium's when PyNaCl is installed, else the key itself."""
    return SodiumKey(key) if HAVE_SODIUM else key
