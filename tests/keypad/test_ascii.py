"""ASCII keypad: byte map as a table, and the real driver over a pty pair."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from drivers.base import KEYS, DeviceOffline, DeviceOnline, KeyPressed
from drivers.keypad.ascii import AsciiKeypad, key_for_byte
from drivers.keypad.emulator import KeypadEmulator

from .helpers import WaitingSink

TABLE = [
    (b"0", "0"), (b"5", "5"), (b"9", "9"), (b"\r", "confirm"), (b"\x1b", "cancel"),
    (b"\x08", "backspace"), (b"F", "finish"), (b"L", "lang"), (b"A", "rate_good"), (b"C", "rate_poor"),
    (b"R", "reprint"), (b"T", "large_text"),
    (b"\n", None), (b"f", None), (b"l", None), (b"\x7f", None), (b"\x00", None), (b"a", None),
    (b"*", None), (b"#", None), (b"\xff", None),
]


@pytest.mark.parametrize(("raw", "key"), TABLE)
def test_byte_map(raw, key):
    assert key_for_byte(raw[0]) == key


def test_every_key_has_exactly_one_byte():
    mapped = [key_for_byte(b) for b in range(256) if key_for_byte(b) is not None]
    assert sorted(mapped) == sorted(KEYS)


@contextlib.asynccontextmanager
async def running(keypad: AsciiKeypad, sink: WaitingSink):
    task = asyncio.create_task(keypad.run(sink))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
def emulator():
    emu = KeypadEmulator()
    emu.plug()
    yield emu
    emu.close()


async def test_every_key_arrives_in_order_over_the_pty(emulator):
    sink = WaitingSink()
    keypad = AsciiKeypad(emulator.port, name="kp")
    async with running(keypad, sink):
        await sink.wait_until(lambda: sink.of(DeviceOnline))
        for key in KEYS:
            emulator.press(key)
        await sink.wait_until(lambda: len(sink.keys) == len(KEYS))
    assert sink.keys == list(KEYS)
    assert all(e.device == "kp" for e in sink.of(KeyPressed))
    assert keypad.ignored == 0


async def test_bytes_outside_the_map_are_ignored_and_counted(emulator):
    sink = WaitingSink()
    keypad = AsciiKeypad(emulator.port)
    async with running(keypad, sink):
        await sink.wait_until(lambda: sink.of(DeviceOnline))
        emulator.send(b"1\r\n\x00zf2\xff")
        await sink.wait_until(lambda: keypad.ignored == 5)
        emulator.send(b"L")
        await sink.wait_until(lambda: sink.keys[-1:] == ["lang"])
    assert sink.keys == ["1", "confirm", "2", "lang"]
    assert keypad.ignored == 5


async def test_unplug_goes_offline_once_and_replug_comes_back(emulator):
    sink = WaitingSink()
    keypad = AsciiKeypad(emulator.port)
    async with running(keypad, sink):
        await sink.wait_until(lambda: sink.of(DeviceOnline))
        emulator.press("1")
        await sink.wait_until(lambda: sink.keys == ["1"])
        emulator.unplug()
        await sink.wait_until(lambda: sink.of(DeviceOffline))
        emulator.plug()
        await sink.wait_until(lambda: len(sink.of(DeviceOnline)) == 2)
        emulator.press("2")
        await sink.wait_until(lambda: sink.keys == ["1", "2"])
    kinds = [type(e).__name__ for e in sink.events]
    assert kinds == ["DeviceOnline", "KeyPressed", "DeviceOffline", "DeviceOnline", "KeyPressed"]


async def test_missing_port_reports_offline_once_then_online_when_plugged(tmp_path):
    emu = KeypadEmulator(str(tmp_path / "keypad"))
    sink = WaitingSink()
    keypad = AsciiKeypad(emu.port)
    try:
        async with running(keypad, sink):
            await sink.wait_until(lambda: sink.of(DeviceOffline))
            assert str(tmp_path / "keypad") in sink.of(DeviceOffline)[0].reason
            emu.plug()
            await sink.wait_until(lambda: sink.of(DeviceOnline))
            emu.press("confirm")
            await sink.wait_until(lambda: sink.keys == ["confirm"])
        assert len(sink.of(DeviceOffline)) == 1
    finally:
        emu.close()
