"""Service-door switch read from a GPIO value file (sysfs gpio, or any file holding 0 or 1).

Wire the switch normally closed, so that a cut wire reads the same as an open door, and
set `open_value` to the level an open door gives. The file is read `poll_interval` apart;
a change must be read twice in a row before it counts, so contact bounce is not an event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from drivers.base import DeviceOffline, DeviceOnline, DoorClosed, DoorOpened, EventSink

log = logging.getLogger(__name__)


def read_level(path: Path) -> str:
    """The level in a GPIO value file ("0" or "1"); ValueError for anything else."""
    text = path.read_text(encoding="ascii").strip()
    if text not in ("0", "1"):
        raise ValueError(f"{path}: expected 0 or 1, read {text[:16]!r}")
    return text


def switch_cause(error: OSError | ValueError) -> str:
    """Why the switch could not be read, as a code staff read in words (kioskd/hall/words.py)."""
    if isinstance(error, FileNotFoundError):
        return "switch_missing"  # no value file: the GPIO not exported, a wrong path
    if isinstance(error, PermissionError):
        return "switch_denied"
    if isinstance(error, ValueError):
        return "switch_bad_level"  # neither 0 nor 1: a cut cable, a floating input
    return "switch_read_error"


class DoorSwitch:
    """Polls the door switch; emits DoorOpened/DoorClosed on each debounced change."""

    def __init__(self, path: str, *, open_value: str = "1", poll_interval: float = 0.2,
                 name: str = "door") -> None:
        self.name = name
        self.path = Path(path)
        self.open_value = open_value
        self.poll_interval = poll_interval
        self.is_open: bool | None = None  # None until the first good read
        self.last_progress = time.monotonic()  # the watchdog's heartbeat: the last read, good or bad
        self._online: bool | None = None
        self._pending: bool | None = None  # a change read once, waiting for its confirmation

    @property
    def state(self) -> str:
        """What staff see: "open", "closed", "unreadable" or "unknown" (not read yet)."""
        if self._online is False:
            return "unreadable"
        return "unknown" if self.is_open is None else ("open" if self.is_open else "closed")

    async def run(self, sink: EventSink) -> None:
        """Read the switch until cancelled; the first good read reports the door as it is."""
        while True:
            self.poll(sink, await asyncio.to_thread(self._read))
            await asyncio.sleep(self.poll_interval)

    def _read(self) -> bool | OSError | ValueError:
        try:
            return read_level(self.path) == self.open_value
        except (OSError, ValueError) as err:
            return err

    def poll(self, sink: EventSink, reading: bool | OSError | ValueError) -> None:
        """Take one reading (door open?, or why it could not be read) and emit what changed."""
        self.last_progress = time.monotonic()
        if isinstance(reading, Exception):
            if self._online is not False:
                self._online = False
                log.error("%s: switch unreadable: %s", self.name, reading)
                sink(DeviceOffline(self.name, reason=str(reading), cause=switch_cause(reading)))
            return
        if self._online is not True:
            self._online = True
            log.info("%s: switch readable at %s", self.name, self.path)
            sink(DeviceOnline(self.name, detail=str(self.path)))
        if reading == self.is_open:
            self._pending = None
            return
        if self.is_open is not None and self._pending != reading:
            self._pending = reading  # first sight of a change: confirm it on the next read
            return
        self.is_open, self._pending = reading, None
        log.info("%s: %s", self.name, "opened" if reading else "closed")
        sink(DoorOpened(self.name) if reading else DoorClosed(self.name))
