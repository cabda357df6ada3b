"""The operator's fleet API timed as the page calls it: log in, then GET /operator/api/fleet."""

from __future__ import annotations

import asyncio
import statistics
import time

import aiohttp

TIMES = 3


def time_fleet_view(host: str, port: int, login: str, password: str) -> str:
    """'median N ms (kiosks, alerts, KiB)' of TIMES calls of the fleet API."""
    return asyncio.run(_time(f"http://{host}:{port}", login, password))


async def _time(base: str, login: str, password: str) -> str:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # unsafe: an IP host
        async with session.post(f"{base}/operator/login", data={"login": login, "password": password},
                                headers={"Origin": base}) as resp:
            if resp.status != 200:
                return f"login refused ({resp.status})"
        seconds, body = [], {}
        for _ in range(TIMES):
            start = time.perf_counter()
            async with session.get(f"{base}/operator/api/fleet") as resp:
                raw = await resp.read()
                body = await resp.json()
            seconds.append(time.perf_counter() - start)
    return (f"median {statistics.median(seconds) * 1000:.0f} ms of {TIMES} ({len(body.get('kiosks', []))} kiosks,"
            f" {len(body.get('alerts', []))} alerts, {len(raw) // 1024} KiB)")
