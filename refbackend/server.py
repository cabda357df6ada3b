"""aiohttp server of the reference backend: strict checks, idempotent credits, fault hooks."""

from __future__ import annotations

import asyncio
import json
import logging
import tomllib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from backend_api.errors import BadSignature
from backend_api.fields import format_utc
from backend_api.jws import TYP, unverified_header, verify
from backend_api.keys import public_b64url, public_key_from_b64url
from refbackend.rules import STALE_AFTER, BadRequest, check_payload, parse_time
from refbackend.store import BackendStore, is_postgres_url, open_store

log = logging.getLogger(__name__)

DEMO_ACCOUNTS = Path(__file__).with_name("demo_accounts.toml")
_ROUTES = {
    "/v1/accounts/lookup": "lookup",
    "/v1/payments": "payment",
    "/v1/alerts": "alert",
    "/v1/batches": "batch",
}


@dataclass
class Faults:
    """Test hooks; counters count down once per request on a matching path."""

    fail_5xx: int = 0  # answer 503 without doing anything
    drop_before: int = 0  # close the connection before committing anything
    drop_after: int = 0  # commit, then close the connection without an answer
    delay: float = 0.0  # wait before handling each request (client time-outs)
    delay_after: float = 0.0  # commit, then wait before answering
    paths: tuple[str, ...] | None = None  # None: every path, e.g. ("/v1/payments",)

    def applies(self, path: str) -> bool:
        """Whether the faults apply to a request on `path`."""
        return self.paths is None or path in self.paths


def load_accounts(path: Path) -> list[dict[str, Any]]:
    """Accounts from a TOML file of [[account]] tables."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    accounts = data.get("account", [])
    for a in accounts:
        if not (isinstance(a.get("account"), str) and len(a["account"]) == 10 and a["account"].isdigit()):
            raise ValueError(f"{path}: account numbers are 10 digits, got {a.get('account')!r}")
    return accounts


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json")


class ReferenceBackend:
    """The reference backend: a store, an aiohttp app and fault hooks."""

    def __init__(self, db_path: Path | str, accounts_file: Path | None = None, store: BackendStore | None = None) -> None:
        # A postgresql:// URL stays a string (Path would fold its "//"); anything else is a SQLite file.
        self.db_path: Path | str = db_path if is_postgres_url(db_path) else Path(db_path)
        self.store: BackendStore = store if store is not None else open_store(self.db_path)
        self.store.seed_accounts(load_accounts(accounts_file or DEMO_ACCOUNTS))
        self.faults = Faults()
        self.hits: Counter[str] = Counter()  # requests seen per path, for tests
        # sqlite3 and psycopg block: all store calls from the server run on one dedicated thread.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="refbackend-store")
        self._runner: web.AppRunner | None = None
        self._keys: dict[str, Ed25519PublicKey] = {}
        self.url: str | None = None  # base URL while serving

    def enroll(self, kiosk_id: str, public_key: Ed25519PublicKey | str) -> None:
        """Enrol a kiosk's public key (an object or raw base64url)."""
        text = public_key if isinstance(public_key, str) else public_b64url(public_key)
        public_key_from_b64url(text)  # reject garbage at enrolment, not at the first request
        self.store.enroll(kiosk_id, text)
        self._keys.pop(kiosk_id, None)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = any free port); return the base URL with a trailing /."""
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/v1/{tail:.*}", self._handle)
        # handler_cancellation=False (aiohttp's default): a commit finishes even if the client left.
        # A short grace period: a test that delays answers must not hold up stop() for long.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}/"
        return self.url

    async def stop(self) -> None:
        """Stop serving (the store stays open: start() again serves the same data)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def close(self) -> None:
        """Release the store and its thread."""
        self._executor.shutdown(wait=True)
        self.store.close()

    def credits(self, kiosk_id: str) -> dict[str, int]:
        """Credited payments of a kiosk: txn -> amount (fen)."""
        return self.store.credits(kiosk_id)

    def credited_total(self, kiosk_id: str) -> int:
        """Sum credited for a kiosk (fen)."""
        return sum(self.credits(kiosk_id).values())

    async def _in_store(self, method: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, method, *args)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] += 1
        faults = self.faults if self.faults.applies(path) else Faults()
        if faults.delay:
            await asyncio.sleep(faults.delay)
        if faults.fail_5xx > 0:
            faults.fail_5xx -= 1
            return _json(503, {"error": "unavailable"})
        if faults.drop_before > 0:
            faults.drop_before -= 1
            return self._drop(request)
        kind = _ROUTES.get(path)
        if kind is None:
            return _json(404, {"error": "not_found"})
        response = await self._answer(request, kind)
        if faults.drop_after > 0:
            faults.drop_after -= 1
            return self._drop(request)
        if faults.delay_after:
            await asyncio.sleep(faults.delay_after)
        return response

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        # Closing the socket under aiohttp: the client sees the connection end with no answer.
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    async def _answer(self, request: web.Request, kind: str) -> web.Response:
        token = (await request.read()).decode("ascii", errors="replace").strip()
        try:
            kid, header, payload = await self._authenticate(token)
        except BadSignature as err:
            log.info("401 bad_signature: %s", err)
            return _json(401, {"error": "bad_signature"})
        now = datetime.now(UTC)
        try:
            if header.get("typ") != TYP:
                raise BadRequest(f"typ: {TYP!r} required")
            check_payload(payload, kind)
        except BadRequest as err:
            return _json(400, {"error": "bad_request", "detail": str(err)})
        if kind in ("lookup", "alert"):
            age = abs((now - parse_time(payload, "ts")).total_seconds())
            if age > STALE_AFTER:
                return _json(401, {"error": "stale"})
        received = format_utc(now)
        if kind == "lookup":
            return await self._lookup(payload["account"])
        if kind == "payment":
            return _json(*await self._in_store(self.store.apply_payment, kid, payload, received))
        if kind == "alert":
            await self._in_store(self.store.record_alert, kid, payload, received)
            return _json(200, {"id": payload["id"]})
        return _json(*await self._in_store(self.store.apply_batch, kid, payload, token, received))

    async def _authenticate(self, token: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
        kid = unverified_header(token).get("kid")
        if not isinstance(kid, str):
            raise BadSignature("no kid")
        key = self._keys.get(kid)
        if key is None:
            text = await self._in_store(self.store.public_key, kid)
            if text is None:
                raise BadSignature(f"kid {kid!r} is not enrolled")
            key = self._keys[kid] = public_key_from_b64url(text)
        header, payload = verify(token, key)
        if payload.get("kiosk") != kid:
            raise BadSignature(f"payload kiosk {payload.get('kiosk')!r} is not kid {kid!r}")
        return kid, header, payload

    async def _lookup(self, number: str) -> web.Response:
        account = await self._in_store(self.store.account, number)
        if account is None:
            return _json(404, {"error": "unknown_account"})
        if account["status"] != "open":
            return _json(423, {"error": "account_blocked", "reason": account["status"]})
        return _json(200, {
            "account": number, "holder": account["holder"], "due": max(0, -account["balance"]),
            "balance": account["balance"], "currency": account["currency"],
            "min": account["min"], "max": account["max"],
        })
