"""Deeply nested JSON gets a clean refusal from every parser a local user can reach."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from kioskd.control.server import ControlServer
from kioskd.customer.screen.server import ScreenServer
from tests.screen.helpers import KeyRecorder

DEEP = '{"key":' + "[" * 2000 + "]" * 2000 + "}"  # under the screen's 4 KiB message cap


async def test_the_screen_websocket_answers_deep_nesting_and_stays_open() -> None:
    keys = KeyRecorder()
    server = ScreenServer("127.0.0.1:0", on_key=keys)
    url = (await server.start()).rstrip("/")
    try:
        async with aiohttp.ClientSession() as session, session.ws_connect(
                url + "/ws?k=" + server.secret, headers={"Origin": url}) as ws:
            await ws.send_str(DEEP)
            async with asyncio.timeout(5):
                while (msg := await ws.receive_json()).get("type") != "error":
                    pass
            assert msg["error"] in ("unknown_key", "bad_json")
            await ws.send_str(json.dumps({"key": "5"}))  # the connection still works
            assert await keys.wait_for(1) == ["5"]
        async with aiohttp.ClientSession() as session, session.post(
                url + "/key?k=" + server.secret, data=DEEP, headers={"Origin": url}) as resp:
            assert resp.status == 400
    finally:
        await server.stop()


async def test_the_control_socket_answers_deep_nesting(tmp_path: Path) -> None:
    async def handler(request: dict[str, Any], *_: Any) -> dict[str, Any]:
        return {"echo": request.get("text")}

    server = ControlServer(tmp_path / "control.sock", handler)
    await server.start()
    try:
        reader, writer = await asyncio.open_unix_connection(str(tmp_path / "control.sock"))
        try:
            writer.write(('{"cmd":"echo","text":' + "[" * 3000 + "]" * 3000 + "}\n").encode())
            writer.write(b'{"cmd":"echo","text":"still here"}\n')
            await writer.drain()
            async with asyncio.timeout(5):
                first = json.loads(await reader.readline())
                second = json.loads(await reader.readline())
        finally:
            writer.close()
        assert first["ok"] is False and "nest" in first["error"]
        assert second == {"ok": True, "echo": "still here"}
    finally:
        await server.stop()
