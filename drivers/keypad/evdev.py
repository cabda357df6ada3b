"""USB HID numeric keypad through Linux evdev (python-evdev), found with pyudev.

Key map (press events only; auto-repeat and releases are ignored so a held key
types once): KEY_KP0-KEY_KP9 and KEY_0-KEY_9 digits, KEY_KPENTER/KEY_ENTER confirm,
KEY_BACKSPACE backspace, KEY_ESC and KEY_KPMINUS cancel, KEY_KPPLUS finish,
KEY_KPASTERISK and KEY_KPSLASH language. Common 17/18-key USB pads have no Esc, so
"-" stands in for cancel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Protocol, cast

import evdev
from evdev import ecodes

from drivers.base import DeviceOffline, DeviceOnline, EventSink, KeyPressed
from drivers.transport import Backoff

log = logging.getLogger(__name__)

KEY_PRESS = 1  # evdev value: 0 release, 1 press, 2 auto-repeat

CODE_KEYS: dict[int, str] = {
    **{getattr(ecodes, f"KEY_KP{d}"): str(d) for d in range(10)},
    **{getattr(ecodes, f"KEY_{d}"): str(d) for d in range(10)},
    ecodes.KEY_KPENTER: "confirm",
    ecodes.KEY_ENTER: "confirm",
    ecodes.KEY_BACKSPACE: "backspace",
    ecodes.KEY_ESC: "cancel",
    ecodes.KEY_KPMINUS: "cancel",
    ecodes.KEY_KPPLUS: "finish",
    ecodes.KEY_KPASTERISK: "lang",
    ecodes.KEY_KPSLASH: "lang",
    # soft keys (docs/spec/customer-flow.md): F1-F3 ratings, F4 invoice, F5 reprint, F6 large text
    ecodes.KEY_F1: "rate_good",
    ecodes.KEY_F2: "rate_fair",
    ecodes.KEY_F3: "rate_poor",
    ecodes.KEY_F4: "invoice",
    ecodes.KEY_F5: "reprint",
    ecodes.KEY_F6: "large_text",
}
KEYPAD_DIGITS = frozenset(getattr(ecodes, f"KEY_KP{d}") for d in range(10))


def key_for_event(type_: int, code: int, value: int) -> str | None:
    """The key an input event stands for; None for releases, repeats and other codes."""
    if type_ != ecodes.EV_KEY or value != KEY_PRESS:
        return None
    return CODE_KEYS.get(code)


def is_numeric_keypad(capabilities: Mapping[int, Sequence[Any]]) -> bool:
    """True when a device's capabilities include every keypad digit and keypad Enter."""
    keys = set(capabilities.get(ecodes.EV_KEY, ()))
    return KEYPAD_DIGITS <= keys and ecodes.KEY_KPENTER in keys


def find_keypad() -> str | None:
    """The first /dev/input/event* keyboard with KEY_KP0-9 (blocking: call in a thread)."""
    import pyudev

    context = pyudev.Context()
    for device in context.list_devices(subsystem="input", ID_INPUT_KEY="1"):
        node: str | None = device.device_node
        if not node or not node.startswith("/dev/input/event"):
            continue
        try:
            probe = evdev.InputDevice(node)
        except OSError as err:  # no permission or vanished between listing and opening
            log.debug("keypad: cannot probe %s: %s", node, err)
            continue
        try:
            if is_numeric_keypad(probe.capabilities()):
                return node
        finally:
            probe.close()
    return None


class InputDevice(Protocol):
    """The part of evdev.InputDevice the driver uses (tests pass a fake)."""

    path: str

    def grab(self) -> None: ...

    def close(self) -> None: ...

    def async_read_loop(self) -> AsyncIterator[Any]: ...


class EvdevKeypad:
    """Reads a numeric keypad's input events; re-finds and reopens it after loss."""

    def __init__(
        self,
        path: str | None,
        *,
        name: str = "keypad",
        open_device: Callable[[str], InputDevice] = lambda path: cast(InputDevice, evdev.InputDevice(path)),
        find: Callable[[], str | None] = find_keypad,
    ) -> None:
        self.name = name
        self.path = path
        self._open_device = open_device
        self._find = find
        self._online: bool | None = None

    async def run(self, sink: EventSink) -> None:
        """Find/open the device, emit KeyPressed per key press, reconnect until cancelled."""
        backoff = Backoff(maximum=10.0)
        while True:
            try:
                device = await self._open()
            except OSError as err:
                self._went_offline(sink, str(err))
                await backoff.sleep()
                continue
            backoff.reset()
            self._online = True
            log.info("%s: online on %s", self.name, device.path)
            sink(DeviceOnline(self.name, detail=device.path))
            reason = f"{device.path}: event stream ended"
            try:
                async for event in device.async_read_loop():
                    key = key_for_event(event.type, event.code, event.value)
                    if key is not None:
                        sink(KeyPressed(self.name, key))
            except OSError as err:  # ENODEV when the keypad is unplugged
                reason = f"{device.path}: {err}"
            finally:
                device.close()
            self._went_offline(sink, reason)
            await backoff.sleep()

    async def _open(self) -> InputDevice:
        path = self.path or await asyncio.to_thread(self._find)
        if path is None:
            raise OSError("no input device with keypad keys (KEY_KP0-9) found")
        device = await asyncio.to_thread(self._open_device, path)
        try:
            # Exclusive: the keys must not also reach the browser or a console login.
            device.grab()
        except OSError:
            device.close()
            raise
        return device

    def _went_offline(self, sink: EventSink, reason: str) -> None:
        if self._online is False:
            return  # once per loss, not once per retry
        self._online = False
        log.warning("%s: offline: %s", self.name, reason)
        sink(DeviceOffline(self.name, reason=reason))
