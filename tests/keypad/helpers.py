"""A sink the keypad tests can wait on."""

from __future__ import annotations

import asyncio

from drivers.base import DeviceEvent, KeyPressed


class WaitingSink:
    """Records device events; `wait_until` waits (bounded) for a condition on them."""

    def __init__(self) -> None:
        self.events: list[DeviceEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: DeviceEvent) -> None:
        self.events.append(event)
        self._changed.set()

    @property
    def keys(self) -> list[str]:
        return [e.key for e in self.events if isinstance(e, KeyPressed)]

    def of(self, kind: type) -> list[DeviceEvent]:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_until(self, predicate, limit: float = 5.0) -> None:
        async with asyncio.timeout(limit):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()
