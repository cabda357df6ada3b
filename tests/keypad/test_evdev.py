"""evdev keypad: key mapping as tables, the driver with a fake input device (no uinput here)."""

from __future__ import annotations

import asyncio
import contextlib
import errno

import pytest
from evdev import InputEvent, ecodes

from drivers.base import KEYS, DeviceOffline, DeviceOnline
from drivers.keypad.evdev import EvdevKeypad, is_numeric_keypad, key_for_event

from .helpers import WaitingSink

E = ecodes
PRESS, RELEASE, REPEAT = 1, 0, 2

MAP_TABLE = [
    (E.KEY_KP0, "0"), (E.KEY_KP7, "7"), (E.KEY_KP9, "9"), (E.KEY_1, "1"), (E.KEY_0, "0"),
    (E.KEY_KPENTER, "confirm"), (E.KEY_ENTER, "confirm"), (E.KEY_BACKSPACE, "backspace"),
    (E.KEY_ESC, "cancel"), (E.KEY_KPMINUS, "cancel"), (E.KEY_KPPLUS, "finish"),
    (E.KEY_KPASTERISK, "lang"), (E.KEY_KPSLASH, "lang"),
    (E.KEY_NUMLOCK, None), (E.KEY_KPDOT, None), (E.KEY_A, None), (E.KEY_TAB, None),
]


@pytest.mark.parametrize(("code", "key"), MAP_TABLE)
def test_press_map(code, key):
    assert key_for_event(E.EV_KEY, code, PRESS) == key


@pytest.mark.parametrize("value", [RELEASE, REPEAT])
def test_releases_and_auto_repeat_type_nothing(value):
    assert key_for_event(E.EV_KEY, E.KEY_KP5, value) is None


@pytest.mark.parametrize("type_", [E.EV_SYN, E.EV_MSC, E.EV_LED])
def test_other_event_types_type_nothing(type_):
    assert key_for_event(type_, E.KEY_KP5, PRESS) is None


def test_every_key_is_reachable():
    reachable = {key_for_event(E.EV_KEY, code, PRESS) for code in range(E.KEY_MAX)}
    assert set(KEYS) <= reachable


def test_numeric_keypad_detection():
    pad = {E.EV_KEY: [*(getattr(E, f"KEY_KP{d}") for d in range(10)), E.KEY_KPENTER, E.KEY_NUMLOCK]}
    mouse = {E.EV_KEY: [E.BTN_LEFT, E.BTN_RIGHT], E.EV_REL: [E.REL_X]}
    power = {E.EV_KEY: [E.KEY_POWER]}
    laptop = {E.EV_KEY: [E.KEY_A, E.KEY_1, E.KEY_ENTER, E.KEY_KP1]}
    assert is_numeric_keypad(pad)
    assert not is_numeric_keypad(mouse)
    assert not is_numeric_keypad(power)
    assert not is_numeric_keypad(laptop)


class FakeInputDevice:
    """Stands in for evdev.InputDevice: events come from a queue; OSError means unplugged."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.queue: asyncio.Queue[InputEvent | OSError] = asyncio.Queue()
        self.grabbed = False
        self.closed = False

    def grab(self) -> None:
        self.grabbed = True

    def close(self) -> None:
        self.closed = True

    def tap(self, code: int) -> None:
        """A key press, its SYN_REPORT, then release, as the kernel sends them."""
        for type_, c, value in ((E.EV_MSC, E.MSC_SCAN, 458840), (E.EV_KEY, code, PRESS),
                                (E.EV_SYN, 0, 0), (E.EV_KEY, code, RELEASE), (E.EV_SYN, 0, 0)):
            self.queue.put_nowait(InputEvent(0, 0, type_, c, value))

    async def async_read_loop(self):
        while True:
            item = await self.queue.get()
            if isinstance(item, OSError):
                raise item
            yield item


class FakeHost:
    """Plays udev + the kernel: which device paths exist and what opening them gives."""

    def __init__(self) -> None:
        self.present: str | None = None
        self.opened: list[FakeInputDevice] = []

    def find(self) -> str | None:
        return self.present

    def open(self, path: str) -> FakeInputDevice:
        if path != self.present:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        device = FakeInputDevice(path)
        self.opened.append(device)
        return device


@contextlib.asynccontextmanager
async def running(keypad: EvdevKeypad, sink: WaitingSink):
    task = asyncio.create_task(keypad.run(sink))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_key_taps_become_key_presses_and_the_device_is_grabbed():
    host = FakeHost()
    host.present = "/dev/input/event5"
    sink = WaitingSink()
    keypad = EvdevKeypad("/dev/input/event5", name="pad", open_device=host.open, find=host.find)
    async with running(keypad, sink):
        await sink.wait_until(lambda: sink.of(DeviceOnline))
        device = host.opened[0]
        assert device.grabbed
        for code in (E.KEY_KP1, E.KEY_KP2, E.KEY_BACKSPACE, E.KEY_KP3, E.KEY_KPENTER, E.KEY_KPPLUS):
            device.tap(code)
        device.queue.put_nowait(InputEvent(0, 0, E.EV_KEY, E.KEY_KP4, REPEAT))
        device.tap(E.KEY_KPASTERISK)
        await sink.wait_until(lambda: sink.keys[-1:] == ["lang"])
    assert sink.keys == ["1", "2", "backspace", "3", "confirm", "finish", "lang"]
    assert sink.of(DeviceOnline)[0].device == "pad"
    assert device.closed


async def test_unplugged_keypad_is_found_again_by_udev():
    host = FakeHost()
    sink = WaitingSink()
    keypad = EvdevKeypad(None, open_device=host.open, find=host.find)
    async with running(keypad, sink):
        await sink.wait_until(lambda: sink.of(DeviceOffline))  # nothing plugged in yet
        assert "KEY_KP" in sink.of(DeviceOffline)[0].reason
        host.present = "/dev/input/event3"
        await sink.wait_until(lambda: sink.of(DeviceOnline))
        host.opened[0].tap(E.KEY_KP9)
        await sink.wait_until(lambda: sink.keys == ["9"])
        host.present = None
        host.opened[0].queue.put_nowait(OSError(errno.ENODEV, "No such device"))
        await sink.wait_until(lambda: len(sink.of(DeviceOffline)) == 2)
        assert host.opened[0].closed
        host.present = "/dev/input/event7"  # a new node after re-plugging
        await sink.wait_until(lambda: len(sink.of(DeviceOnline)) == 2)
        host.opened[1].tap(E.KEY_KP0)
        await sink.wait_until(lambda: sink.keys == ["9", "0"])
    assert [e.detail for e in sink.of(DeviceOnline)] == ["/dev/input/event3", "/dev/input/event7"]
    assert "No such device" in sink.of(DeviceOffline)[1].reason
