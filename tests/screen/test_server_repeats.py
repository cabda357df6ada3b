"""The screen server sends a page a snapshot only when it differs from what the page shows."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from kioskd.customer.screen.server import ScreenServer

from .helpers import KeyRecorder, snapshot


@pytest.fixture
async def served():
    server = ScreenServer("127.0.0.1:0", on_key=KeyRecorder())
    url = await server.start()
    async with aiohttp.ClientSession() as session:
        yield server, url.rstrip("/"), session
    await server.stop()


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict:
    return await asyncio.wait_for(ws.receive_json(), timeout=5)


async def test_an_identical_snapshot_is_not_sent_again_and_a_change_is(served):
    server, origin, session = served
    shown = snapshot(state="payment_cash_waiting", notes=[10000], total=10000)
    async with session.ws_connect(f"{origin}/ws?k={server.secret}", origin=origin) as ws:
        server.publish(shown)
        assert (await receive(ws))["snapshot"]["total"] == 10000
        server.publish(dict(shown))  # the machine publishes after every event, often unchanged
        # a bad key is answered on the same socket: had the repeat gone out, it would come first
        await ws.send_json({"key": "open_cashbox"})
        assert await receive(ws) == {"type": "error", "error": "unknown_key"}
        server.publish(snapshot(state="payment_cash_waiting", notes=[10000, 5000], total=15000))
        assert (await receive(ws))["snapshot"]["total"] == 15000
