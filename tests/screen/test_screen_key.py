"""Keys only from the kiosk's own browser (the per-boot secret in its URL), and a cap on pages."""

from __future__ import annotations

import aiohttp
import pytest

from kioskd.customer.screen.secret import screen_secret, write_start_page
from kioskd.customer.screen.server import MAX_PAGES, ScreenServer
from tests.daemon import start_kiosk

from .helpers import KeyRecorder


@pytest.fixture
async def served():
    keys = KeyRecorder()
    server = ScreenServer("127.0.0.1:0", on_key=keys)
    origin = (await server.start()).rstrip("/")
    async with aiohttp.ClientSession(headers={"Origin": origin}) as session:
        yield server, keys, origin, session
    await server.stop()


@pytest.mark.parametrize("query", ["", "?k=", "?k=guessed-secret-guessed-secret-guessed", "?key=SECRET"])
async def test_a_local_user_without_the_secret_types_nothing(served, query: str) -> None:
    server, keys, origin, session = served
    query = query.replace("SECRET", server.secret)
    async with session.post(f"{origin}/key{query}", json={"key": "5"}) as resp:
        assert resp.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await session.ws_connect(f"{origin}/ws{query}")
    assert refused.value.status == 403
    assert keys.keys == [] and server.refused == 2
    async with session.post(f"{origin}/key?k={server.secret}", json={"key": "5"}) as resp:
        assert resp.status == 200
    assert keys.keys == ["5"]


async def test_page_connections_beyond_the_cap_are_refused_cleanly(served) -> None:
    server, keys, origin, session = served
    pages = [await session.ws_connect(f"{origin}/ws?k={server.secret}") for _ in range(MAX_PAGES)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await session.ws_connect(f"{origin}/ws?k={server.secret}")
    assert refused.value.status == 503
    await pages[0].send_json({"key": "confirm"})  # the pages connected still work
    assert await keys.wait_for(1) == ["confirm"]
    await pages.pop().close()
    async with server_page(session, origin, server) as again:  # a place freed: taken again
        await again.send_json({"key": "1"})
        assert await keys.wait_for(2) == ["confirm", "1"]
    for page in pages:
        await page.close()


def server_page(session: aiohttp.ClientSession, origin: str, server: ScreenServer):  # type: ignore[no-untyped-def]
    return session.ws_connect(f"{origin}/ws?k={server.secret}")


def test_the_secret_lasts_the_boot_and_the_start_page_carries_it(tmp_path) -> None:
    key_dir = tmp_path / "run"
    key_dir.mkdir()
    first = screen_secret(str(key_dir))
    assert screen_secret(str(key_dir)) == first  # a daemon restart: the browser's page still works
    assert oct((key_dir / "key").stat().st_mode & 0o777) == "0o640"
    write_start_page(str(key_dir), f"http://127.0.0.1:8080/?k={first}")
    page = (key_dir / "screen.html").read_text()
    assert f'url=http://127.0.0.1:8080/?k={first}"' in page
    assert screen_secret("") != screen_secret("")  # no folder: a new one each start


async def test_the_daemon_takes_keys_only_with_its_secret(tmp_path) -> None:
    kiosk = await start_kiosk(tmp_path / "state")
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        async with aiohttp.ClientSession(headers={"Origin": kiosk.origin}) as stranger:
            async with stranger.post(kiosk.url + "key", json={"key": "1"}) as resp:
                assert resp.status == 403
        await kiosk.press("1")  # the kiosk's own page, with the secret from its URL
        await kiosk.until(lambda s: s["state"] == "payment_account", "the account entry")
    finally:
        assert await kiosk.stop() == 0
