"""BackendClient look-ups: the spec's answers map to what the customer is told."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jws import verify
from kioskd.system.clock import CLOCK, Clock
from kioskd.uplink.client import BackendClient
from kioskd.uplink.errors import Unreachable
from refbackend import ReferenceBackend
from statemachine.ports import AccountInfo, LookupFailed
from tests.uplink.support import BLOCKED, KIOSK, ZHANG


async def test_lookup_found(client: BackendClient) -> None:
    assert await client.lookup(ZHANG) == AccountInfo(
        account=ZHANG, holder="张*明", due=12350, balance=-12350, currency="CNY", min=100, max=500000
    )


async def test_lookup_unknown_and_blocked(client: BackendClient) -> None:
    with pytest.raises(LookupFailed) as unknown:
        await client.lookup("0000000001")
    assert unknown.value.reason == "unknown_account"
    with pytest.raises(LookupFailed) as blocked:
        await client.lookup(BLOCKED)
    assert blocked.value.reason == "account_blocked" and blocked.value.detail == "blocked"


async def test_lookup_when_backend_fails_is_unreachable(backend: ReferenceBackend, client: BackendClient) -> None:
    backend.faults.fail_5xx = 1
    with pytest.raises(LookupFailed) as err:
        await client.lookup(ZHANG)
    assert err.value.reason == "unreachable" and "503" in err.value.detail
    backend.faults.drop_before = 1
    with pytest.raises(LookupFailed, match="unreachable"):
        await client.lookup(ZHANG)
    await backend.stop()
    with pytest.raises(LookupFailed, match="unreachable"):
        await client.lookup(ZHANG)


async def test_lookup_timeout_is_unreachable(backend: ReferenceBackend, key: Ed25519PrivateKey) -> None:
    backend.faults.delay = 1.0
    quick = BackendClient(backend.url, KIOSK, key, timeout=0.2)
    try:
        with pytest.raises(LookupFailed) as err:
            await quick.lookup(ZHANG)
    finally:
        await quick.close()
    assert err.value.reason == "unreachable" and "no answer within 0.2 s" in err.value.detail


async def test_lookup_by_unenrolled_kiosk_is_unreachable_not_unknown(backend: ReferenceBackend) -> None:
    stranger = BackendClient(backend.url, "K-9999", Ed25519PrivateKey.generate())
    try:
        with pytest.raises(LookupFailed) as err:
            await stranger.lookup(ZHANG)
    finally:
        await stranger.close()
    assert err.value.reason == "unreachable" and "401" in err.value.detail


# -- a backend written by someone else: the client reads the spec, not our server's habits --
Handler = Callable[[dict], web.Response]


@pytest.fixture
async def foreign(key: Ed25519PrivateKey) -> AsyncIterator[Callable[[Handler], BackendClient]]:
    runners: list[web.AppRunner] = []
    clients: list[BackendClient] = []
    seen: list[dict] = []

    async def make(handler: Handler) -> BackendClient:
        async def route(request: web.Request) -> web.Response:
            assert request.headers["Content-Type"] == "application/jose"
            _, payload = verify(await request.text(), key.public_key())
            seen.append(payload)
            return handler(payload)

        app = web.Application()
        app.router.add_post("/api/v1/accounts/lookup", route)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        host, port = runner.addresses[0][:2]
        # a base URL with a path and no trailing slash
        c = BackendClient(f"http://{host}:{port}/api", KIOSK, key, timeout=2.0)
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.close()
    for r in runners:
        await r.cleanup()


async def test_foreign_backend_with_extra_fields_and_charset(foreign) -> None:
    def answer(payload: dict) -> web.Response:
        assert payload["type"] == "lookup" and payload["ts"].endswith("Z")
        body = {"account": payload["account"], "holder": "李*", "due": 0, "balance": 500,
                "currency": "CNY", "min": 100, "max": 9900, "extra": {"x": 1}}
        return web.Response(text=json.dumps(body), content_type="application/json", charset="utf-8")

    c = await foreign(answer)
    info = await c.lookup("1234567890")
    assert (info.holder, info.due, info.balance, info.max) == ("李*", 0, 500, 9900)


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (502, "<html>Bad Gateway</html>", "text/html"),
        (404, "<html>Not Found</html>", "text/html"),  # wrong URL is not an unknown account
        (200, "not json", "text/plain"),
        (200, json.dumps({"account": "1234567890", "holder": "李*", "due": "100"}), "application/json"),
        (200, json.dumps({"account": "1234567890", "holder": "李*", "due": 1.5, "balance": 0,
                          "currency": "CNY", "min": 100, "max": 500}), "application/json"),
        (200, json.dumps({"account": "9999999999", "holder": "李*", "due": 0, "balance": 0,
                          "currency": "CNY", "min": 100, "max": 500}), "application/json"),
        (200, json.dumps([1, 2]), "application/json"),
        (302, "", "text/plain"),
    ],
)
async def test_malformed_answers_are_unreachable(foreign, status: int, body: str, content_type: str) -> None:
    c = await foreign(lambda _: web.Response(status=status, text=body, content_type=content_type,
                                             headers={"Location": "/elsewhere"} if status == 302 else None))
    with pytest.raises(LookupFailed) as err:
        await c.lookup("1234567890")
    assert err.value.reason == "unreachable"


async def test_post_signed_raises_unreachable_on_5xx(backend: ReferenceBackend, client: BackendClient) -> None:
    backend.faults.fail_5xx = 1
    with pytest.raises(Unreachable, match="503"):
        await client.post_signed("v1/payments", "x.y.z")
    answer = await client.post_signed("v1/payments", "x.y.z")  # a definite (if unhappy) answer
    assert (answer.status, answer.error) == (401, "bad_signature")


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The process's clock, back to the system's after the test (the daemon has one per process)."""
    on_change = CLOCK.on_change
    yield CLOCK
    CLOCK.offset, CLOCK.on_change = 0.0, on_change


async def test_a_lookup_signed_before_another_answer_fixed_the_clock_is_signed_again(foreign, clock: Clock) -> None:
    # the kiosk booted an hour behind; its status report and the customer's look-up are
    # signed at once, and the status report's answer corrects the clock before the
    # look-up's `stale` comes back: that `stale` corrects nothing, yet it was our clock's
    backend_time = datetime.now(UTC) + timedelta(hours=1)
    date = format_datetime(backend_time, usegmt=True)

    def answer(payload: dict) -> web.Response:
        signed = datetime.fromisoformat(payload["ts"].replace("Z", "+00:00"))
        if abs(signed - backend_time) > timedelta(minutes=5):
            clock.observe(date)  # the status report's answer, arriving first
            return web.json_response({"error": "stale"}, status=401, headers={"Date": date})
        body = {"account": payload["account"], "holder": "李*", "due": 0, "balance": 500,
                "currency": "CNY", "min": 100, "max": 9900}
        return web.json_response(body, headers={"Date": date})

    skews: list[tuple[str, int | None]] = []
    clock.on_change = lambda state, skew: skews.append((state, skew))
    c = await foreign(answer)
    info = await c.lookup("1234567890")
    assert info.holder == "李*"  # the customer never saw the skew
    # staff told once, with how far behind we were (Date has whole seconds)
    assert [state for state, _ in skews] == ["skewed"] and abs(skews[0][1] - 3600) <= 1
