"""The kiosk's Ed25519 key: a PEM PKCS#8 file, mode 0600, never overwritten."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend_api.jws import b64url_decode
from backend_api.keys import public_b64url
from backend_api.keys import public_key_from_b64url as public_key_from_b64url  # re-exported
from drivers.statefile import create_file
from kioskd.uplink.errors import KeyFileError


def derived_secret(key: Ed25519PrivateKey, purpose: str) -> bytes:
    """A 32-byte secret for one `purpose`, derived from the kiosk key (HKDF-SHA256): it never leaves
    the kiosk with the journal, and no two purposes share one."""
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"kioskd {purpose}".encode()).derive(raw)


def pin_key(key: Ed25519PrivateKey) -> bytes:
    """The secret staff PIN hashes are keyed with (kioskd.ledger.custody.keyed)."""
    return derived_secret(key, "staff PIN hashes v1")


def init_key(path: Path) -> None:
    """Create a new key at `path` (mode 0600); refuse if the file exists."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        # exclusive: a second `keys init` must never replace an enrolled key
        create_file(path, pem, 0o600)
    except FileExistsError as err:
        raise KeyFileError(f"key file {path} exists; refusing to overwrite it", "exists", path=str(path)) from err
    except OSError as err:
        raise KeyFileError(f"key file {path}: cannot create: {err.strerror}", "cannot_create", path=str(path),
                           why=err.strerror or str(err), errno=err.errno) from err


def load_key(path: Path) -> Ed25519PrivateKey:
    """Load the key; refuse a file that group or others may read."""
    try:
        mode = os.stat(path).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(
                f"key file {path} has mode {stat.S_IMODE(mode):04o}: group/others may access it; "
                f"run `chmod 600 {path}`", "open_mode", path=str(path), mode=f"{stat.S_IMODE(mode):04o}"
            )
        data = Path(path).read_bytes()
    except FileNotFoundError as err:
        raise KeyFileError(f"key file {path} does not exist; create it with `kioskctl keys init --key {path}` "
                           "and enrol its public key at the backend", "missing", path=str(path)) from err
    except OSError as err:
        raise KeyFileError(f"key file {path}: {err.strerror}", "unreadable", path=str(path),
                           why=err.strerror or str(err), errno=err.errno) from err
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise KeyFileError(f"key file {path} is not an unencrypted PEM PKCS#8 key", "not_pem", path=str(path)) from err
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"key file {path} holds a {type(key).__name__}, not Ed25519", "not_ed25519", path=str(path))
    return key


def public_jwk(key: Ed25519PrivateKey | Ed25519PublicKey) -> dict[str, Any]:
    """The public key as an RFC 8037 OKP JWK."""
    return {"kty": "OKP", "crv": "Ed25519", "x": public_b64url(key)}


def signature_checker(public_key: Ed25519PublicKey) -> Callable[[bytes, str], bool]:
    """A `check` callable for the ledger's checkpoints: Ed25519 over the message, signature base64url."""

    def check(message: bytes, sig: str) -> bool:
        try:
            public_key.verify(b64url_decode(sig), message)
        except (InvalidSignature, ValueError):
            return False
        return True

    return check
