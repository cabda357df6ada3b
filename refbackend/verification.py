"""Whether a signed request may be answered: the kiosk's key, the JWS, the schema, freshness."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from backend_api.errors import BadSignature, PayloadRefused
from backend_api.fields import format_utc
from backend_api.jws import TYP, unverified_header, verify
from backend_api.keys import public_key_from_b64url
from refbackend.rules import STALE_AFTER, BadRequest, check_payload, parse_time
from refbackend.sodium import SodiumKey, fast_key

log = logging.getLogger(__name__)

# Each worker process keeps every enrolled key in memory and asks the store at most this often
# for the enrolments changed since (kioskd-backend kiosk disable in another process is seen
# within this many seconds); a key not yet cached costs one look-up, then stays.
KEY_CACHE_SECONDS = 5.0
MAX_UNKNOWN = 10000  # ids found not enrolled, remembered until the next refresh (bounded: ids come from outside)
FRESH_KINDS = ("lookup", "alert", "status")  # spec: only these carry a ts that must be near our clock

# kiosk id -> {"public_key": raw base64url, "enabled": bool, ...}, or None when not enrolled
KioskLookup = Callable[[str], Awaitable[dict[str, Any] | None]]
# change number -> (the newest change number, kiosks changed after it: kid, public_key, enabled)
ChangesLookup = Callable[[int], Awaitable[tuple[int, list[dict[str, Any]]]]]


class NotEnrolled(Exception):
    """The kid names no enrolled kiosk."""


@dataclass(frozen=True)
class SignedRequest:
    """A request whose signature, schema and freshness hold."""

    kid: str
    kind: str
    payload: dict[str, Any]
    token: str  # the exact JWS (a batch's digest is taken over it)
    received: str  # RFC 3339 UTC time the backend took it


@dataclass(frozen=True)
class Enrolled:
    """A kiosk's enrolled key (for receipts), the same key as verified with (sodium.py), and whether it is enabled."""

    key: Ed25519PublicKey
    checker: Ed25519PublicKey | SodiumKey
    enabled: bool

    @classmethod
    def of(cls, row: dict[str, Any]) -> Enrolled:
        """From a kiosks row: public_key (raw base64url) and enabled."""
        key = public_key_from_b64url(row["public_key"])
        return cls(key, fast_key(key), bool(row["enabled"]))


class Refusal(Exception):
    """A definite refusal: the HTTP status and JSON body to answer with."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status, self.body = status, body


class Verifier:
    """Checks signed requests against enrolled keys (all cached, refreshed by changes every KEY_CACHE_SECONDS)."""

    def __init__(self, kiosk_lookup: KioskLookup, changes: ChangesLookup,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._kiosk_lookup, self._changes = kiosk_lookup, changes
        self._clock = clock
        self._keys: dict[str, Enrolled] = {}  # kid -> its key, as enrolled and for verifying, enabled
        self._unknown: set[str] = set()  # looked up since the last refresh: not enrolled
        self._version = -1  # the newest enrolment change seen (-1: none read yet)
        self._refreshed: float | None = None
        self._refreshing = False

    def forget(self, kid: str) -> None:
        """Drop a cached key (after this process changed the kiosk's enrolment)."""
        self._keys.pop(kid, None)
        self._unknown.discard(kid)

    async def check(self, token: str, kind: str) -> SignedRequest:
        """The verified request, or Refusal (401 bad_signature, unknown_kiosk, kiosk_disabled or stale; 400)."""
        try:
            kid, header, payload, enabled = await self._authenticate(token)
        except NotEnrolled as err:
            log.info("401 unknown_kiosk: %s", err)
            raise Refusal(401, {"error": "unknown_kiosk"}) from err
        except BadSignature as err:
            log.info("401 bad_signature: %s", err)
            raise Refusal(401, {"error": "bad_signature"}) from err
        except PayloadRefused as err:  # signed by the kiosk, but not in the one accepted form
            raise Refusal(400, {"error": "bad_request", "detail": str(err)}) from err
        if not enabled:  # told only to the holder of the kiosk's key: the signature verified
            raise Refusal(401, {"error": "kiosk_disabled"})
        now = datetime.now(UTC)
        try:
            if header.get("typ") != TYP:
                raise BadRequest(f"typ: {TYP!r} required")
            check_payload(payload, kind)
        except BadRequest as err:
            raise Refusal(400, {"error": "bad_request", "detail": str(err)}) from err
        if kind in FRESH_KINDS and abs((now - parse_time(payload, "ts")).total_seconds()) > STALE_AFTER:
            raise Refusal(401, {"error": "stale"})
        return SignedRequest(kid, kind, payload, token, format_utc(now))

    async def _authenticate(self, token: str) -> tuple[str, dict[str, Any], dict[str, Any], bool]:
        kid = unverified_header(token).get("kid")
        if not isinstance(kid, str):
            raise BadSignature("no kid")
        enrolled = await self._key(kid)
        header, payload = verify(token, enrolled.checker)
        if payload.get("kiosk") != kid:
            raise BadSignature(f"payload kiosk {payload.get('kiosk')!r} is not kid {kid!r}")
        return kid, header, payload, enrolled.enabled

    async def public_key(self, kid: str) -> Ed25519PublicKey:
        """The enrolled key of a kiosk, enabled or not (a receipt it issued stays verifiable); NotEnrolled."""
        return (await self._key(kid)).key

    async def _key(self, kid: str) -> Enrolled:
        if not self._refreshing and (self._refreshed is None or self._clock() - self._refreshed >= KEY_CACHE_SECONDS):
            await self.refresh()  # requests meanwhile use what is cached (or look their key up)
        cached = self._keys.get(kid)
        if cached is not None:
            return cached
        if kid not in self._unknown:
            kiosk = await self._kiosk_lookup(kid)  # enrolled since the last refresh, or not at all
            if kiosk is not None:
                self._keys[kid] = Enrolled.of(kiosk)
                return self._keys[kid]
            if len(self._unknown) >= MAX_UNKNOWN:
                self._unknown.clear()
            self._unknown.add(kid)
        raise NotEnrolled(f"kid {kid[:64]!r} is not enrolled")

    async def refresh(self) -> None:
        """Read the enrolments changed since the last refresh (the first time: all of them)."""
        started, self._refreshing = self._clock(), True
        try:
            version, changed = await self._changes(self._version)
        finally:
            self._refreshing = False
        for row in changed:
            self._keys[row["kid"]] = Enrolled.of(row)
        self._version, self._refreshed = version, started
        self._unknown.clear()
