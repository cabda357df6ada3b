"""Serial ASCII keypad: one byte per key press, no framing, nothing sent back.

Map: "0"-"9" digits, CR confirm, ESC cancel, BS backspace, "F" finish, "L" language; the soft
keys "A"/"B"/"C" ratings, "I" invoice, "R" reprint, "T" large text (docs/spec/customer-flow.md).
Any other byte (LF after CR, line noise at power-up) is ignored and counted.
"""

from __future__ import annotations

import logging

import serial

from drivers.base import DeviceOffline, DeviceOnline, EventSink, KeyPressed
from drivers.errors import DeviceUnavailable
from drivers.transport import Backoff, close_serial, open_serial

log = logging.getLogger(__name__)

BYTE_KEYS: dict[int, str] = {
    **{ord(d): d for d in "0123456789"},
    0x0D: "confirm",
    0x1B: "cancel",
    0x08: "backspace",
    ord("F"): "finish",
    ord("L"): "lang",
    ord("A"): "rate_good",
    ord("B"): "rate_fair",
    ord("C"): "rate_poor",
    ord("I"): "invoice",
    ord("R"): "reprint",
    ord("T"): "large_text",
}
KEY_BYTES: dict[str, bytes] = {key: bytes([b]) for b, key in BYTE_KEYS.items()}


def key_for_byte(byte: int) -> str | None:
    """The key a byte stands for, or None for a byte outside the map."""
    return BYTE_KEYS.get(byte)


class AsciiKeypad:
    """Reads an ASCII keypad on a serial port; reconnects when the port goes away."""

    def __init__(self, port: str, *, name: str = "keypad", baudrate: int = 9600) -> None:
        self.name = name
        self.port = port
        self.baudrate = baudrate
        self.ignored = 0  # bytes outside the map
        self._online: bool | None = None  # None until the first attempt

    async def run(self, sink: EventSink) -> None:
        """Open the port, emit KeyPressed per byte, reconnect with backoff until cancelled."""
        backoff = Backoff()
        while True:
            try:
                reader, writer = await open_serial(self.port, baudrate=self.baudrate)
            except DeviceUnavailable as err:
                self._went_offline(sink, str(err))
                await backoff.sleep()
                continue
            backoff.reset()
            self._online = True
            log.info("%s: online on %s", self.name, self.port)
            sink(DeviceOnline(self.name, detail=self.port))
            reason = "port closed"
            try:
                while chunk := await reader.read(64):
                    self._feed(chunk, sink)
            except (OSError, serial.SerialException) as err:
                reason = f"{self.port}: {err}"
            finally:
                await close_serial(writer)
            self._went_offline(sink, reason)
            await backoff.sleep()

    def _feed(self, chunk: bytes, sink: EventSink) -> None:
        for byte in chunk:
            key = key_for_byte(byte)
            if key is None:
                self.ignored += 1
                log.debug("%s: ignored byte %02x", self.name, byte)
                continue
            sink(KeyPressed(self.name, key))

    def _went_offline(self, sink: EventSink, reason: str) -> None:
        # Once per loss, not once per retry: the alert and the log stay readable.
        if self._online is False:
            return
        self._online = False
        log.warning("%s: offline: %s", self.name, reason)
        sink(DeviceOffline(self.name, reason=reason))
