"""HTTP client of the backend API: signed look-ups, payments, alerts and batches."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import urljoin

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.fields import is_int
from backend_api.jws import sign
from kioskd.ledger.records import utc_now
from kioskd.system.clock import CLOCK, backend_time
from kioskd.uplink.errors import Unreachable
from statemachine.ports import AccountInfo, LookupFailed

log = logging.getLogger(__name__)

LOOKUP_PATH = "v1/accounts/lookup"
PAYMENTS_PATH = "v1/payments"
ALERTS_PATH = "v1/alerts"
BATCHES_PATH = "v1/batches"
STATUS_PATH = "v1/status"
_ACCOUNT_INT_FIELDS = ("due", "balance", "min", "max")


@dataclass(frozen=True)
class Answer:
    """A definite HTTP answer from the backend: status and the JSON object it sent."""

    status: int
    body: dict[str, Any]

    @property
    def error(self) -> str | None:
        """The `error` field of an error answer, if any."""
        value = self.body.get("error")
        return value if isinstance(value, str) else None


class BackendClient:
    """One aiohttp session to the backend; every request body is a JWS signed by this kiosk."""

    def __init__(
        self, base_url: str, kiosk_id: str, key: Ed25519PrivateKey, timeout: float = 10.0
    ) -> None:
        # urljoin drops the last path segment of a base without a trailing slash.
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.kiosk_id = kiosk_id
        self.key = key
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self.last_contact: str | None = None  # RFC 3339 time of the last definite answer
        self.failing_since: float | None = None  # monotonic send time of the first failed request
        self.failing: dict[str, Any] = {}  # while failing, for staff: since (UTC), tries, error, status, last_error
        self.on_back: Callable[[], None] = lambda: None  # a definite answer after failures

    @staticmethod
    def now() -> str:
        """The signing time (`ts`) of a request signed now."""
        return utc_now()

    def sign(self, payload: dict[str, Any]) -> str:
        """Sign a payload with the kiosk key (kid = kiosk id)."""
        return sign(payload, self.key, self.kiosk_id)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"Content-Type": "application/jose", "Accept": "application/json"},
            )
        return self._session

    async def post_signed(self, path: str, jws: str) -> Answer:
        """POST a JWS; return a definite answer (status < 500 with a JSON object) or raise Unreachable."""
        sent = time.monotonic()
        try:
            answer = await self._post(path, jws)
        except Unreachable as err:
            if self.failing_since is None:
                self.failing_since, self.failing = sent, {"since": utc_now(), "tries": 0}
            self.failing.update(tries=self.failing["tries"] + 1, error=err.kind, status=err.status,
                                last_error=str(err))
            raise
        self.last_contact = utc_now()
        # an answer to a request sent before the first failure does not say the link is back
        if self.failing_since is not None and sent >= self.failing_since:
            self.failing_since, self.failing = None, {}
            self.on_back()  # the backend is back: what waits in the outbox need not wait its backoff
        return answer

    async def _post(self, path: str, jws: str) -> Answer:
        url = urljoin(self.base_url, path)
        try:
            async with self._get_session().post(url, data=jws, allow_redirects=False) as resp:
                raw = await resp.read()
                status = resp.status
                date = resp.headers.get("Date")
                CLOCK.observe(date)  # ours may be the wrong clock
        except TimeoutError as err:
            raise Unreachable(f"backend {url}: no answer within {self.timeout:g} s", "timeout") from err
        except aiohttp.ClientError as err:
            raise Unreachable(f"backend {url}: {type(err).__name__}: {err}", "connect") from err
        if not (200 <= status < 300 or 400 <= status < 500):  # 5xx, redirects: nothing definite
            raise Unreachable(f"backend {url}: HTTP {status}", "http", status)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            # A proxy's HTML page is not the backend's answer.
            raise Unreachable(f"backend {url}: HTTP {status} with a body that is not JSON", "not_json", status) from err
        if not isinstance(body, dict):
            raise Unreachable(f"backend {url}: HTTP {status} with a JSON body that is not an object", "not_object",
                              status)
        if status == 401 and body.get("error") == "stale" and backend_time(date) is None:
            CLOCK.stale_answer()
        return Answer(status, body)

    async def post_alert(self, alert: dict[str, Any]) -> Answer:
        """Send an alert payload (without `ts`), signed now with a fresh `ts`."""
        payload = {**alert, "type": "alert", "kiosk": self.kiosk_id, "ts": utc_now()}
        return await self.post_signed(ALERTS_PATH, self.sign(payload))

    async def lookup(self, account: str) -> AccountInfo:
        """Look an account up; raise LookupFailed (unknown_account, account_blocked, unreachable)."""
        try:
            signed_with = CLOCK.offset
            answer = await self._lookup_once(account)
            if answer.status == 401 and answer.error == "stale" and CLOCK.offset != signed_with:
                # our clock was corrected since we signed (by this answer's Date, or by another
                # answer meanwhile, such as the status report's at boot): sign again, the
                # customer need not see the skew
                answer = await self._lookup_once(account)
        except Unreachable as err:
            raise LookupFailed("unreachable", str(err)) from err
        if answer.status == 200:
            return _account_info(account, answer.body)
        if answer.status == 404 and answer.error == "unknown_account":
            raise LookupFailed("unknown_account", account)
        if answer.status == 423 and answer.error == "account_blocked":
            raise LookupFailed("account_blocked", str(answer.body.get("reason", "")))
        # 401, 400, a 404 from a wrong URL...: the customer must not be told "unknown account".
        raise LookupFailed("unreachable", f"look-up answered HTTP {answer.status} {answer.body}")


    async def _lookup_once(self, account: str) -> Answer:
        payload = {"type": "lookup", "kiosk": self.kiosk_id, "account": account, "ts": utc_now()}
        return await self.post_signed(LOOKUP_PATH, self.sign(payload))


def _account_info(account: str, body: dict[str, Any]) -> AccountInfo:
    problems = [name for name in _ACCOUNT_INT_FIELDS if not is_int(body.get(name))]
    problems += [name for name in ("account", "holder", "currency") if not isinstance(body.get(name), str)]
    if problems:
        raise LookupFailed("unreachable", f"malformed look-up answer (fields {problems}): {body}")
    if body["account"] != account:
        raise LookupFailed("unreachable", f"look-up for {account} answered account {body['account']}")
    if not 0 < body["min"] <= body["max"] or body["due"] < 0:
        raise LookupFailed("unreachable", f"look-up answer with impossible bounds: {body}")
    return AccountInfo(
        account=body["account"],
        holder=body["holder"],
        due=body["due"],
        balance=body["balance"],
        currency=body["currency"],
        min=body["min"],
        max=body["max"],
    )


class Outcome(Protocol):
    """What an answer means to its caller; `status` "unknown" is no definite answer yet."""

    @property
    def status(self) -> str: ...


OutcomeT = TypeVar("OutcomeT", bound=Outcome)
FIRST_RETRY = 0.25  # seconds; a refused connection is retried a few times within the deadline


async def post_until_definite(client: BackendClient, path: str, jws: str, read: Callable[[Answer], OutcomeT],
                              unknown: Callable[[str], OutcomeT], within: float) -> OutcomeT:
    """POST the same JWS until `read` finds a definite answer or `within` seconds are up (backoff between)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    delay = FIRST_RETRY
    while True:
        try:
            async with asyncio.timeout(max(0.0, deadline - loop.time())):
                answer = await client.post_signed(path, jws)
            outcome = read(answer)
            if outcome.status != "unknown":
                return outcome
        except Unreachable as err:
            outcome = unknown(str(err))
        except TimeoutError:
            outcome = unknown(f"no answer within {within:g} s")
        if deadline - loop.time() <= delay:
            return outcome
        await asyncio.sleep(delay)  # backoff between attempts, bounded by the deadline
        delay *= 2
