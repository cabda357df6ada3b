"""A validator's serial port: frames read into a queue, written requests, bounded reply waits.

The protocol-free half of every validator driver's wire: open/close the port (transport.py), a
read task that feeds the protocol's parser and queues its frames (then a sentinel when the port
closes), writes that turn port errors into DeviceUnavailable, and a wait for the reply a request
expects, with a deadline, dropping frames that are not it. What a protocol does with its replies
(ACK/NAK, sequence flags, echoes, busy) stays in its driver, through the `feed`, `accept` and
`again` hooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Generic, Protocol, TypeVar

from drivers.errors import DeviceUnavailable
from drivers.transport import close_serial, open_serial

FrameT = TypeVar("FrameT")
FrameT_co = TypeVar("FrameT_co", covariant=True)
_CLOSED = None  # queued by the read task when the port closes under it
RETRIES = 3  # tries per request before the device counts as gone
FAST_POLL = 0.005  # below a 9600-baud exchange (~11 ms): the wire sets the pace


async def pause(wake: asyncio.Event, interval: float, *, fast: bool = False) -> None:
    """Wait until the next poll is due (`interval`, at most FAST_POLL if `fast`) or `wake` is set.

    A driver polls `fast` while a customer may insert a note or one is moving, so software never
    slows the note path; it sets `wake` when the host just changed the device (enabled it, decided
    on the escrow, acknowledged a credit) so the next poll goes out at once. `wake` is cleared.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(min(interval, FAST_POLL) if fast else interval):
            await wake.wait()
    wake.clear()


class FrameParser(Protocol[FrameT_co]):
    """What the link needs from a protocol's incremental parser."""

    bad_frames: int
    last_dropped: bytes

    def feed(self, chunk: bytes) -> Iterable[FrameT_co]:
        """Add received bytes; return the complete valid frames."""
        ...

    def reset(self) -> None:
        """Forget any partial frame."""
        ...


class SerialLink(Generic[FrameT]):
    """One device's serial port: read task, frame queue, writes and reply waits."""

    def __init__(
        self,
        port: str,
        *,
        name: str,
        log: logging.Logger,
        parser: Callable[[], FrameParser[FrameT]],
        baudrate: int,
        parity: str,
        stopbits: int = 1,
        feed: Callable[[bytes], Iterable[FrameT]] | None = None,
        describe: Callable[[FrameT], object] = str,
        unexpected: str = "%s: unexpected reply %s",
        noun: str = "frames",
    ) -> None:
        self.name = name
        self.port = port
        self.baudrate = baudrate
        self.parity = parity
        self.stopbits = stopbits
        self.log = log  # the driver's logger: its lines stay under the driver's name
        self.lock = asyncio.Lock()  # one request/reply exchange on the wire at a time
        self._new_parser = parser
        self.parser = parser()
        self._feed = feed  # None: the parser's frames as they are
        self._describe = describe
        self._unexpected = unexpected  # DEBUG line for a dropped frame: (name, description)
        self._noun = noun
        self._dropped = f"%s: dropped %s (%d bad {noun} so far)"
        self._frames: asyncio.Queue[FrameT | None] = asyncio.Queue()
        self._writer: asyncio.StreamWriter | None = None
        self._read_task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        """True while the port is open."""
        return self._writer is not None

    async def connect(self) -> None:
        """Open the port with a fresh parser and queue, and start reading frames from it."""
        reader, self._writer = await open_serial(self.port, self.baudrate, parity=self.parity,
                                                 stopbits=self.stopbits)
        self.parser = self._new_parser()
        self._frames = asyncio.Queue()
        self._read_task = asyncio.create_task(self._read_loop(reader))

    async def disconnect(self) -> None:
        """Stop reading and close the port (safe when never connected)."""
        task, self._read_task = self._read_task, None
        if task:
            task.cancel()
            await asyncio.wait([task])  # never swallows a cancellation aimed at us
        await close_serial(self._writer)
        self._writer = None

    def require_writer(self) -> asyncio.StreamWriter:
        """The open port's writer; raises DeviceUnavailable when not connected."""
        writer = self._writer
        if writer is None:
            raise DeviceUnavailable(f"{self.name}: not connected")
        return writer

    def drop_stale(self) -> None:
        """Drop replies of an earlier timed-out request; raises DeviceUnavailable if the port closed."""
        frames = self._frames
        while not frames.empty():
            if frames.get_nowait() is _CLOSED:
                raise DeviceUnavailable(f"{self.name}: port {self.port} closed", cause="port_lost")

    async def write(self, raw: bytes) -> None:
        """Write `raw` to the open port; raises DeviceUnavailable."""
        writer = self.require_writer()
        try:
            writer.write(raw)
            await writer.drain()
        except (OSError, ConnectionError) as err:
            raise DeviceUnavailable(f"{self.name}: write to {self.port}: {err}", cause="port_lost") from err

    async def send(self, raw: bytes) -> None:
        """Write one request that has no reply, after dropping stale replies."""
        self.require_writer()  # "not connected" before "port closed", as in request()
        self.drop_stale()
        await self.write(raw)

    async def request(
        self,
        raw: bytes,
        code: int,
        *,
        within: float,
        retries: int,
        accept: Callable[[FrameT], bool] | None = None,
        again: Callable[[FrameT], bool] | None = None,
        what: str = "0x{:02x}",
    ) -> FrameT:
        """Send `raw` until an accepted reply comes (up to `retries` sends); raises DeviceUnavailable.

        Each send waits `within` s for the reply. A reply `again` is true of (the device is
        busy) is sent again at once; no reply resets the parser's partial frame before the next.
        The error names the request as `what` formatted with `code` (only then: a hot path).
        """
        writer = self.require_writer()
        bad_before = self.parser.bad_frames
        for _ in range(retries):
            self.drop_stale()
            try:  # inline, not self.write: one coroutine less on every poll
                writer.write(raw)
                await writer.drain()
            except (OSError, ConnectionError) as err:
                raise DeviceUnavailable(f"{self.name}: write to {self.port}: {err}", cause="port_lost") from err
            frame = await self.reply(within, accept)
            if frame is None:
                self.parser.reset()
            elif again is None or not again(frame):
                return frame
        bad = self.parser.bad_frames - bad_before
        why = f"{bad} bad {self._noun}" if bad else "no reply"
        raise DeviceUnavailable(f"{self.name}: {why} to {what.format(code)} after {retries} tries",
                                cause="garbled" if bad else "no_reply")

    async def reply(self, within: float,
                    accept: Callable[[FrameT], bool] | None = None) -> FrameT | None:
        """The next frame `accept` takes (any, if None) within `within` s, else None; drops the rest."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (left := deadline - loop.time()) > 0:
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation
                async with asyncio.timeout(left):
                    frame = await self._frames.get()
            except TimeoutError:
                return None
            if frame is _CLOSED:
                raise DeviceUnavailable(f"{self.name}: port {self.port} closed", cause="port_lost")
            if accept is None or accept(frame):
                return frame
            self.log.debug(self._unexpected, self.name, self._describe(frame))
        return None

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        frames, log = self._frames, self.log
        try:
            while True:
                chunk = await reader.read(256)
                if not chunk:
                    break
                parser = self.parser
                for frame in self._feed(chunk) if self._feed else parser.feed(chunk):
                    frames.put_nowait(frame)
                if parser.last_dropped:
                    log.debug(self._dropped, self.name, parser.last_dropped.hex(), parser.bad_frames)
        except Exception as err:  # the port vanished; the exchange waiting on us reports it
            log.debug("%s: read ended: %s", self.name, err)
        frames.put_nowait(_CLOSED)
