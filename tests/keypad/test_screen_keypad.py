"""On-screen keypad: keys from the screen server become KeyPressed events."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest

from drivers.base import KEYS, DeviceOnline, Keypad
from drivers.keypad.screen import ScreenKeypad
from kioskd.customer.screen.server import ScreenServer

from .helpers import WaitingSink


def test_it_is_a_keypad():
    assert isinstance(ScreenKeypad(), Keypad)


async def test_presses_are_forwarded_while_running_and_dropped_otherwise():
    keypad = ScreenKeypad(name="touch")
    keypad.press("1")  # nothing running yet: not replayed later
    sink = WaitingSink()
    task = asyncio.create_task(keypad.run(sink))
    await sink.wait_until(lambda: sink.of(DeviceOnline))
    for key in KEYS:
        keypad.press(key)
    assert sink.keys == list(KEYS)
    assert all(e.device == "touch" for e in sink.events)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    keypad.press("2")
    assert keypad.dropped == 2
    assert sink.keys == list(KEYS)


def test_unknown_key_is_refused():
    with pytest.raises(ValueError, match="keypad: unknown key 'open'"):
        ScreenKeypad().press("open")


async def test_wired_to_the_screen_server_over_http():
    keypad = ScreenKeypad()
    sink = WaitingSink()
    task = asyncio.create_task(keypad.run(sink))
    server = ScreenServer("127.0.0.1:0", on_key=keypad.press)
    origin = (await server.start()).rstrip("/")
    try:
        async with aiohttp.ClientSession() as session:
            for key in ("0", "confirm"):
                async with session.post(f"{origin}/key?k={server.secret}", json={"key": key}, headers={"Origin": origin}) as r:
                    assert r.status == 200
        assert sink.keys == ["0", "confirm"]
    finally:
        await server.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
