"""Serial transport shared by every serial driver: open a port with asyncio, back off on failure.

Usage::

    reader, writer = await open_serial("/dev/ttyUSB0", baudrate=9600, parity="E")
    backoff = Backoff()
    while True:
        try:
            reader, writer = await open_serial(port)
        except DeviceUnavailable:
            await backoff.sleep()
            continue
        backoff.reset()
        ...
"""

from __future__ import annotations

import asyncio
import os
import random

import serial
import serial_asyncio_fast

from drivers.errors import DeviceUnavailable

PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}


def is_pty(port: str) -> bool:
    """True when `port` is a path that resolves to a pseudo-terminal (under /dev/pts/)."""
    if "://" in port:
        return False
    return os.path.realpath(port).startswith("/dev/pts/")


def effective_parity(port: str, parity: str) -> str:
    """The parity to open `port` with: "N" on a pty, `parity` on anything else."""
    # Linux ptys drop the parity flag and a later tcsetattr with PARENB fails with
    # EINVAL (docs/protocols.md, "Notes for kioskd"); real RS-232 keeps it.
    return "N" if is_pty(port) else parity


async def open_serial(
    port: str,
    baudrate: int = 9600,
    parity: str = "N",
    stopbits: int = 1,
    *,
    bytesize: int = 8,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open `port` (a device path or pyserial URL) as an asyncio stream pair.

    Parity is "N", "E" or "O"; a pty is always opened with "N". Raises
    DeviceUnavailable (naming the port) when it cannot be opened.
    """
    if parity not in PARITIES:
        raise ValueError(f"parity must be one of N, E, O, not {parity!r}")
    kwargs = {
        "url": port,
        "baudrate": baudrate,
        "parity": PARITIES[effective_parity(port, parity)],
        "stopbits": stopbits,
        "bytesize": bytesize,
    }
    if "://" not in port and not is_pty(port):
        # A second process on the same real port would corrupt both conversations.
        kwargs["exclusive"] = True
    try:
        return await serial_asyncio_fast.open_serial_connection(**kwargs)
    except (serial.SerialException, OSError, ValueError) as err:
        raise DeviceUnavailable(f"{port}: cannot open serial port: {err}", cause="port_unavailable") from err


async def close_serial(writer: asyncio.StreamWriter | None) -> None:
    """Close a stream pair's writer, ignoring errors from a port that already vanished."""
    if writer is None:
        return
    try:
        writer.close()
        async with asyncio.timeout(1.0):
            await writer.wait_closed()
    except (OSError, serial.SerialException, TimeoutError):
        pass  # the port is gone already; nothing left to release


class Backoff:
    """Exponential reconnect delay with jitter: initial, initial*factor, ... capped at maximum."""

    def __init__(
        self,
        initial: float = 0.1,
        maximum: float = 5.0,
        factor: float = 2.0,
        jitter: float = 0.1,
    ) -> None:
        if initial <= 0 or maximum < initial or factor < 1 or not 0 <= jitter < 1:
            raise ValueError("Backoff needs 0 < initial <= maximum, factor >= 1, 0 <= jitter < 1")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        self.attempts = 0

    def next_delay(self) -> float:
        """The delay before the next attempt (seconds); advances the sequence."""
        base = min(self.maximum, self.initial * self.factor**self.attempts)
        self.attempts += 1
        # Jitter keeps several drivers that lost the same USB hub from retrying in lock-step.
        return base * (1 + random.uniform(-self.jitter, self.jitter))

    async def sleep(self) -> None:
        """Wait for the next delay."""
        await asyncio.sleep(self.next_delay())

    def reset(self) -> None:
        """Start again from `initial` (call after a successful connection)."""
        self.attempts = 0
