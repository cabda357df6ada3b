"""The on-screen keypad: keys the screen server received, forwarded as KeyPressed."""

from __future__ import annotations

import asyncio
import logging

from drivers.base import KEYS, DeviceOnline, EventSink, KeyPressed

log = logging.getLogger(__name__)


class ScreenKeypad:
    """`press` is the screen server's on_key; `run` forwards presses into the sink."""

    def __init__(self, name: str = "keypad") -> None:
        self.name = name
        self.dropped = 0  # presses that came while nothing was running to take them
        self._sink: EventSink | None = None

    def press(self, key: str) -> None:
        """Forward one key now; a key outside KEYS is a ValueError."""
        if key not in KEYS:
            raise ValueError(f"{self.name}: unknown key {key!r}")
        if self._sink is None:
            # Replaying stale presses later could type into the wrong screen.
            self.dropped += 1
            log.debug("%s: dropped %r, not running", self.name, key)
            return
        self._sink(KeyPressed(self.name, key))

    async def run(self, sink: EventSink) -> None:
        """Forward presses into `sink` until cancelled."""
        self._sink = sink
        sink(DeviceOnline(self.name, detail="screen"))
        try:
            await asyncio.Event().wait()  # presses arrive through press()
        finally:
            self._sink = None
