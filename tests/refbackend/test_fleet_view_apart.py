"""The operator's fleet view is built beside the kiosks' store calls, not on their thread: a kiosk's
payment is answered while a view (a second or more on a large fleet) is still being built."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import aiohttp

from refbackend.page import server as page_server
from refbackend.testbed.kiosks import SimKiosk
from tests.refbackend.conftest import OPERATOR_PASSWORD
from tests.refbackend.fleetsim import FleetClient


async def test_a_payment_is_answered_while_the_fleet_view_is_being_built(ref, monkeypatch) -> None:
    building, release = threading.Event(), threading.Event()
    real_view = page_server.fleet_view

    def held_view(*args: Any) -> dict[str, Any]:
        building.set()
        release.wait(30)  # held until the payment below was answered (bounded: a broken test ends)
        return real_view(*args)

    monkeypatch.setattr(page_server, "fleet_view", held_view)
    origin = ref.url.rstrip("/")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        kiosk = FleetClient(ref, browser).enrol(SimKiosk("K-A1", "H-A"))
        async with browser.post(ref.url + "operator/login", data={"login": "ana", "password": OPERATOR_PASSWORD},
                                headers={"Origin": origin}) as resp:
            assert resp.status == 200

        async def view() -> dict[str, Any]:
            async with browser.get(ref.url + "operator/api/fleet") as resp:
                assert resp.status == 200
                return await resp.json()

        viewing = asyncio.create_task(view())
        try:
            assert await asyncio.to_thread(building.wait, 10)
            status, answer = await asyncio.wait_for(
                FleetClient(ref, browser).post(kiosk, "v1/payments", kiosk.payment(10000)), 10)
            assert (status, answer["status"]) == (200, "credited")
        finally:
            release.set()
        shown = await viewing
    assert [k["kiosk"] for k in shown["kiosks"]] == ["K-A1"]
