"""The alerts kioskd raises from conditions: backend unreachable, box near full, power restored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from backend_api.serving import serve
from kioskd.system.health import check_backend, check_box, mark_running, mark_stopped
from kioskd.uplink.client import BackendClient
from kioskd.uplink.errors import Unreachable
from kioskd.uplink.keys import init_key, load_key
from tests.fakes import FakeAlerts


class Link:
    failing_since: float | None = None
    last_contact: str | None = "2026-11-23T08:00:00Z"

    def __init__(self) -> None:
        self.failing = {"since": "2026-11-23T08:01:00Z", "tries": 3}


def test_backend_unreachable_is_raised_after_the_grace_and_cleared_by_an_answer() -> None:
    alerts, link = FakeAlerts(), Link()
    link.failing_since = 1000.0
    check_backend(link, alerts, now=1119.0, after=120)
    assert alerts.raised == []
    check_backend(link, alerts, now=1120.0, after=120)
    assert alerts.raised == ["backend_unreachable"]
    link.failing_since = None
    check_backend(link, alerts, now=1200.0, after=120)
    assert alerts.cleared == ["backend_unreachable"]


async def test_the_client_tracks_when_the_backend_stopped_answering(tmp_path: Path) -> None:
    init_key(tmp_path / "k")
    client = BackendClient("http://127.0.0.1:9/", "K-1", load_key(tmp_path / "k"), timeout=1)
    try:
        with pytest.raises(Unreachable):
            await client.post_signed("v1/alerts", "x.y.z")
        first = client.failing_since
        assert first is not None and client.last_contact is None
        with pytest.raises(Unreachable):
            await client.post_signed("v1/alerts", "x.y.z")
        assert client.failing_since == first  # the first failure counts, not the latest
    finally:
        await client.close()


@pytest.mark.parametrize("notes,raised", [(899, False), (900, True)])
def test_box_near_full_at_ninety_percent_of_capacity(notes: int, raised: bool) -> None:
    alerts = FakeAlerts()
    check_box({10000: notes - 100, 100: 100}, 1000, alerts)
    assert (alerts.raised == ["stacker_near_full"]) is raised
    check_box({}, 1000, alerts)  # a new, empty box clears it
    assert alerts.cleared[-1] == "stacker_near_full"


def test_unknown_capacity_raises_nothing() -> None:
    alerts = FakeAlerts()
    check_box({10000: 5000}, 0, alerts)
    assert alerts.raised == alerts.cleared == []


def test_a_run_that_did_not_stop_cleanly_is_noticed(tmp_path: Path) -> None:
    assert mark_running(tmp_path) is False  # first start
    assert mark_running(tmp_path) is True  # killed: the marker was left behind
    mark_stopped(tmp_path)
    assert mark_running(tmp_path) is False


async def test_a_killed_daemon_raises_power_restored_at_the_next_start(tmp_path: Path) -> None:
    import json
    import sqlite3

    from drivers.statefile import _write_temp
    from tests.daemon import start_kiosk

    state = tmp_path / "state"
    first = await start_kiosk(state)
    await first.until(lambda s: s.get("state") == "service_idle", "the idle screen")
    first.proc.kill()  # no clean stop
    await first.stop()
    # the cut came mid-write: the alerts' new file fsynced, not yet renamed over the old one
    cut = _write_temp(state / "alerts.json", b'{"open": [', 0o644)
    not_ours = state / ".alerts.json.tmp"
    not_ours.write_bytes(b"kept")
    second = await start_kiosk(state)
    try:
        await second.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        assert not cut.exists() and not_ours.exists()  # the leftover removed at start, nothing else
        assert any(f"removed {cut}" in line for line in second.output)
    finally:
        assert await second.stop() == 0
    db = sqlite3.connect(state / "journal.sqlite3")
    codes = [json.loads(b)["code"] for (b,) in db.execute("select body from outbox where kind = 'alert'")]
    assert codes.count("power_restored") == 1
    assert not (state / "running").exists()  # the second run stopped cleanly


async def test_an_answer_to_a_request_sent_before_the_failure_does_not_say_the_link_is_back(
        tmp_path: Path) -> None:
    # the status report sent at start is answered after the customer's look-up met a 503: the
    # backend is still failing, and backend_unreachable must still be raised in time
    release = asyncio.Event()

    async def slow(_request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True})

    async def down(_request: web.Request) -> web.Response:
        return web.json_response({"error": "unavailable"}, status=503)

    app = web.Application()
    app.router.add_post("/v1/slow", slow)
    app.router.add_post("/v1/down", down)
    served = await serve(app, "127.0.0.1", 0)
    init_key(tmp_path / "k")
    client = BackendClient(f"http://127.0.0.1:{served.port}/", "K-1", load_key(tmp_path / "k"), timeout=5)
    try:
        early = asyncio.create_task(client.post_signed("v1/slow", "x.y.z"))
        await asyncio.sleep(0)  # the early request is on its way
        with pytest.raises(Unreachable):
            await client.post_signed("v1/down", "x.y.z")
        failing = client.failing_since
        release.set()
        assert (await early).status == 200
        assert client.failing_since == failing and client.last_contact is not None
        assert (await client.post_signed("v1/slow", "x.y.z")).status == 200  # sent after it: back
        assert client.failing_since is None
    finally:
        await client.close()
        await served.close()
