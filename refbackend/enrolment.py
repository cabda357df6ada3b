"""Enrolment of kiosks: ids, halls and keys checked before they reach the store."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from backend_api.fields import format_utc
from backend_api.keys import public_b64url, public_key_from_b64url
from refbackend.fleetstore import ID_PATTERN
from refbackend.store import BackendStore


def check_id(text: str, what: str) -> str:
    """A kiosk or hall id (1-64 of A-Z a-z 0-9 . _ -), or ValueError naming `what`."""
    if not ID_PATTERN.fullmatch(text):
        raise ValueError(f"{what}: 1-64 characters of A-Z a-z 0-9 . _ - required, got {text[:80]!r}")
    return text


def enroll(store: BackendStore, kiosk_id: str, public_key: Ed25519PublicKey | str, hall: str | None = None) -> None:
    """Enrol, re-key or move a kiosk; ValueError on a bad id, hall or key."""
    check_id(kiosk_id, "kiosk id")
    if hall is not None:
        check_id(hall, "hall")
    text = public_key if isinstance(public_key, str) else public_b64url(public_key)
    public_key_from_b64url(text)  # reject garbage at enrolment, not at the first request
    store.enroll(kiosk_id, text, hall, format_utc(datetime.now(UTC)))
