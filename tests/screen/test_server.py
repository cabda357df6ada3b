"""The screen server over real HTTP on loopback: keys in, snapshots out, nothing else."""

from __future__ import annotations

import asyncio
import json
from html.parser import HTMLParser

import aiohttp
import pytest

from drivers.base import KEYS
from kioskd.customer.screen.server import ScreenServer, allowed_hosts, parse_listen

from .helpers import FakeSim, KeyRecorder, snapshot


@pytest.fixture
async def served():
    """A started server (ephemeral port), its key recorder, its origin and an HTTP session."""
    keys = KeyRecorder()
    server = ScreenServer("127.0.0.1:0", on_key=keys)
    url = await server.start()
    async with aiohttp.ClientSession() as session:
        yield server, keys, url.rstrip("/"), session
    await server.stop()


async def next_snapshot(ws: aiohttp.ClientWebSocketResponse) -> dict:
    msg = await asyncio.wait_for(ws.receive_json(), timeout=5)
    assert msg["type"] == "snapshot"
    assert isinstance(msg["now"], int)
    return msg["snapshot"]


@pytest.mark.parametrize("key", KEYS)
async def test_every_key_from_the_page_reaches_the_machine(served, key):
    server, keys, origin, session = served
    async with session.post(f"{origin}/key?k={server.secret}", json={"key": key}, headers={"Origin": origin}) as r:
        assert r.status == 200
    assert keys.keys == [key]


@pytest.mark.parametrize(
    "body",
    [{"key": "x"}, {"key": "open_cashbox"}, {"key": 5}, {"key": ""}, {}, ["5"], "5", None],
)
async def test_unknown_keys_are_refused_with_400(served, body):
    server, keys, origin, session = served
    async with session.post(f"{origin}/key?k={server.secret}", json=body, headers={"Origin": origin}) as r:
        assert r.status == 400
    assert keys.keys == []
    assert server.refused == 1


async def test_key_body_that_is_not_json_is_refused(served):
    server, keys, origin, session = served
    async with session.post(f"{origin}/key?k={server.secret}", data=b"\xff5", headers={"Origin": origin}) as r:
        assert r.status == 400
    assert keys.keys == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": "https://127.0.0.1"}],
)
async def test_key_from_a_foreign_or_missing_origin_is_forbidden(served, headers):
    server, keys, origin, session = served
    async with session.post(f"{origin}/key?k={server.secret}", json={"key": "5"}, headers=headers) as r:
        assert r.status == 403
    assert keys.keys == []


async def test_localhost_name_is_the_same_origin_on_loopback(served):
    server, keys, origin, session = served
    port = origin.rsplit(":", 1)[1]
    own = f"http://localhost:{port}"
    async with session.post(f"{own}/key?k={server.secret}", json={"key": "7"}, headers={"Origin": own}) as r:
        assert r.status == 200
    assert keys.keys == ["7"]


async def test_dns_rebinding_host_is_forbidden_even_for_the_page(served):
    server, keys, origin, session = served
    async with session.get(f"{origin}/", headers={"Host": "evil.example:80"}) as r:
        assert r.status == 403


async def test_websocket_from_a_foreign_origin_is_forbidden(served):
    server, keys, origin, session = served
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await session.ws_connect(f"{origin}/ws?k={server.secret}", origin="http://evil.example")
    assert err.value.status == 403


async def test_publish_reaches_connected_pages_and_new_pages_get_the_latest(served):
    server, keys, origin, session = served
    async with session.ws_connect(f"{origin}/ws?k={server.secret}", origin=origin) as first:
        server.publish(snapshot(state="payment_account", account="0012"))
        assert (await next_snapshot(first))["account"] == "0012"
        server.publish(snapshot(state="payment_account", account="00123"))
        assert (await next_snapshot(first))["account"] == "00123"
        async with session.ws_connect(f"{origin}/ws?k={server.secret}", origin=origin) as second:
            late = await next_snapshot(second)
            assert late["state"] == "payment_account"
            assert late["account"] == "00123"
            assert server.connections == 2


async def test_published_snapshot_is_a_copy_taken_at_publish_time(served):
    server, keys, origin, session = served
    snap = snapshot(state="payment_cash_waiting", notes=[10000], total=10000)
    server.publish(snap)
    snap["notes"].append(5000)  # the machine keeps mutating its own structures
    async with session.ws_connect(f"{origin}/ws?k={server.secret}", origin=origin) as ws:
        assert (await next_snapshot(ws))["notes"] == [10000]


def test_publish_refuses_what_json_cannot_carry():
    server = ScreenServer("127.0.0.1:0", on_key=lambda key: None)
    with pytest.raises(TypeError):
        server.publish({"state": "service_idle", "total": 1.5j})


async def test_keys_over_the_websocket(served):
    server, keys, origin, session = served
    async with session.ws_connect(f"{origin}/ws?k={server.secret}", origin=origin) as ws:
        await ws.send_str(json.dumps({"key": "lang"}))
        await ws.send_str(json.dumps({"key": "rm -rf"}))
        reply = await asyncio.wait_for(ws.receive_json(), timeout=5)
        assert reply == {"type": "error", "error": "unknown_key"}
        await ws.send_str(json.dumps({"key": "9"}))
        assert await keys.wait_for(2) == ["lang", "9"]
    assert server.refused == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/staff"),
        ("GET", "/admin"),
        ("GET", "/cashbox"),
        ("POST", "/custody/open"),
        ("POST", "/receipt/reprint"),
        ("GET", "/api/status"),
        ("GET", "/sim"),
        ("POST", "/sim/insert"),
        ("POST", "/sim/fault"),
        ("GET", "/static/../server.py"),
    ],
)
async def test_no_staff_custody_or_sim_routes_without_sim(served, method, path):
    server, keys, origin, session = served
    async with session.request(method, f"{origin}{path}", headers={"Origin": origin}) as r:
        assert r.status == 404


class _Buttons(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.keys: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-key" in attrs:
            self.keys.append(attrs["data-key"])
        for name in ("src", "href"):
            if attrs.get(name, "/").startswith(("http:", "https:", "//")):
                self.external.append(attrs[name])


async def test_page_has_one_button_per_key_and_no_external_assets(served):
    server, keys, origin, session = served
    async with session.get(f"{origin}/") as r:
        assert r.status == 200
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        parser = _Buttons()
        parser.feed(await r.text())
    assert sorted(parser.keys) == sorted(KEYS)
    assert parser.external == []
    for asset in ("/app.js", "/style.css"):
        async with session.get(f"{origin}{asset}") as r:
            assert r.status == 200
            assert "http://" not in await r.text() and "https://" not in await r.text()


@pytest.fixture
async def sim_served():
    sim = FakeSim()
    server = ScreenServer("127.0.0.1:0", on_key=KeyRecorder(), sim=sim)
    origin = (await server.start()).rstrip("/")
    async with aiohttp.ClientSession() as session:
        yield sim, origin, session
    await server.stop()


async def test_sim_page_inserts_notes_and_switches_faults(sim_served):
    sim, origin, session = sim_served
    hdr = {"Origin": origin}
    async with session.get(f"{origin}/sim") as r:
        assert r.status == 200
    async with session.post(f"{origin}/sim/insert", json={"value": 5000}, headers=hdr) as r:
        assert r.status == 200
    async with session.post(f"{origin}/sim/insert", json={"value": "5000"}, headers=hdr) as r:
        assert r.status == 400
    async with session.post(f"{origin}/sim/insert", json={"value": 100}) as r:
        assert r.status == 403  # no Origin: not from the sim page
    assert sim.inserted == [5000]
    async with session.post(f"{origin}/sim/fault", json={"name": "jam", "on": True}, headers=hdr) as r:
        assert (await r.json())["faults"]["jam"] is True
    async with session.post(f"{origin}/sim/fault", json={"name": "fire", "on": True}, headers=hdr) as r:
        assert r.status == 400
    assert sim.faults() == {"jam": True, "stacker_full": False, "paper_out": False}


async def test_sim_page_shows_the_latest_receipt(sim_served):
    sim, origin, session = sim_served
    async with session.get(f"{origin}/sim/receipt.png") as r:
        assert r.status == 404
    sim.receipt = (["缴费凭条", "金额 ¥150.00"], b"\x89PNG\r\n\x1a\nfake")
    async with session.get(f"{origin}/sim/state") as r:
        state = await r.json()
    assert state["receipt"] == ["缴费凭条", "金额 ¥150.00"]
    assert state["receipt_png"] is True and state["printed"] == 1
    async with session.get(f"{origin}/sim/receipt.png") as r:
        assert r.content_type == "image/png"
        assert (await r.read()).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("listen", "host", "port"),
    [("127.0.0.1:8080", "127.0.0.1", 8080), ("[::1]:9000", "::1", 9000), (":8080", "127.0.0.1", 8080)],
)
def test_parse_listen(listen, host, port):
    assert parse_listen(listen) == (host, port)


@pytest.mark.parametrize("listen", ["8080", "localhost", "127.0.0.1:http"])
def test_parse_listen_refuses_garbage(listen):
    with pytest.raises(ValueError, match="host:port"):
        parse_listen(listen)


def test_a_lan_address_does_not_admit_loopback_names():
    assert allowed_hosts("192.168.1.20", 8080) == frozenset({"192.168.1.20:8080"})
    assert "localhost:8080" in allowed_hosts("127.0.0.1", 8080)
    assert allowed_hosts("0.0.0.0", 8080) >= {"127.0.0.1:8080", "localhost:8080"}
    assert "192.168.1.20:8080" not in allowed_hosts("0.0.0.0", 8080)
