"""ESC/POS receipt printer driver: our own async transport (serial, USB printer class, TCP) and DLE EOT status.

Jobs arrive already rendered (kioskd.customer.receipts.layout renders them with drivers.printer.commands); this
module only moves bytes and asks the printer how it is. DLE EOT n (Epson ESC/POS
reference, "DLE EOT: transmit real-time status") is answered by the printer even while
it is offline, so no answer at all means we cannot reach it, never "all is well".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time

from drivers.base import DeviceOffline, DeviceOnline, EventSink, PaperState, PrinterStatus
from drivers.errors import DeviceError, DeviceUnavailable
from drivers.transport import close_serial, open_serial

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
TRANSPORTS = ("serial", "usb", "tcp")
# Every DLE EOT status byte has bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0: anything else
# is not a status reply (line noise, a late byte of something else).
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12


class PrinterNotReady(DeviceError):
    """The printer answered but cannot print (paper out, cover open, offline)."""

    def __init__(self, message: str, status: PrinterStatus) -> None:
        super().__init__(message)
        self.status = status


def is_status_byte(value: int) -> bool:
    """True when `value` has the fixed bits every DLE EOT reply carries."""
    return value & _FIXED_MASK == _FIXED_BITS


def parse_status(name: str, printer: int | None, offline: int | None, paper: int | None) -> PrinterStatus:
    """Turn the DLE EOT 1, 2 and 4 replies (None = no answer) into a PrinterStatus."""
    online = None if printer is None else not printer & 0x08  # n=1 bit 3: offline
    cover_open = None if offline is None else bool(offline & 0x04)  # n=2 bit 2: cover open
    paper_state: PaperState = "unknown"
    if paper is not None:
        if paper & 0x60:  # n=4 bits 5,6: roll paper end
            paper_state = "out"
        elif paper & 0x0C:  # n=4 bits 2,3: roll paper near end
            paper_state = "low"
        else:
            paper_state = "ok"
    if offline is not None and offline & 0x20:  # n=2 bit 5: printing stopped by paper end
        paper_state = "out"
    return PrinterStatus(name, online=online, cover_open=cover_open, paper=paper_state)


class _Link:
    """One open connection: a writer and a pump that queues every byte the printer sends."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        kind: str,
        read_transport: asyncio.BaseTransport | None = None,
    ) -> None:
        self.writer = writer
        self.read_transport = read_transport  # USB: the read side is a transport of its own
        self.kind = kind
        self.replies: asyncio.Queue[int] = asyncio.Queue()
        self.broken = False
        self.answered = False  # the printer answered a status query on this link
        self._pump = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while chunk := await reader.read(256):
                for value in chunk:
                    self.replies.put_nowait(value)
        except (OSError, ConnectionError):
            self.broken = True
            return
        # EOF: a TCP peer hung up; a USB printer that cannot send (unidirectional) or a
        # vanished device also ends here. Either way no reply will come on this link.
        if self.kind == "tcp":
            self.broken = True

    async def close(self) -> None:
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump
        await close_serial(self.writer)
        if self.read_transport is not None:
            self.read_transport.close()


class EscposPrinter:
    """An ESC/POS receipt printer on a serial port, a USB printer class device or raw TCP."""

    def __init__(
        self,
        port: str,
        *,
        transport: str = "serial",
        name: str = "printer",
        status_interval: float = 5.0,
        reply_timeout: float = 0.5,
        baudrate: int = 9600,
        write_timeout: float = 10.0,
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"{name}: transport must be one of {TRANSPORTS}, got {transport!r}")
        self.port = port
        self.transport = transport
        self.name = name
        self.status_interval = status_interval
        self.reply_timeout = reply_timeout
        self.baudrate = baudrate
        self.write_timeout = write_timeout
        self.last_error = ""
        self.last_progress = time.monotonic()  # the watchdog's heartbeat: the last status poll done
        self.bad_replies = 0  # bytes that were not status replies (counted, logged at DEBUG)
        self._link: _Link | None = None
        self._lock = asyncio.Lock()

    async def _open(self) -> _Link:
        if self._link is not None and not self._link.broken:
            return self._link
        await self._drop_link()
        try:
            if self.transport == "serial":
                reader, writer = await open_serial(self.port, baudrate=self.baudrate)
            elif self.transport == "tcp":
                host, _, port = self.port.rpartition(":")
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, int(port)), timeout=self.write_timeout
                )
            else:
                reader, writer, read_transport = await _open_usb(self.port)
                self._link = _Link(reader, writer, "usb", read_transport)
                return self._link
        except (OSError, ValueError, TimeoutError, DeviceUnavailable) as err:
            self.last_error = f"{self.name}: cannot open {self.transport} {self.port}: {err}"
            raise DeviceUnavailable(self.last_error) from err
        self._link = _Link(reader, writer, self.transport)
        return self._link

    async def _drop_link(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            await link.close()

    async def close(self) -> None:
        """Close the connection (the next call opens it again)."""
        async with self._lock:
            await self._drop_link()

    async def _ask(self, link: _Link, n: int) -> int | None:
        """Send DLE EOT n and return the status byte, or None when none came in time."""
        while not link.replies.empty():  # a late reply to an earlier query is stale now
            self._bad_reply(link.replies.get_nowait(), "stale")
        try:
            link.writer.write(DLE_EOT + bytes([n]))
            await asyncio.wait_for(link.writer.drain(), timeout=self.reply_timeout)
        except (OSError, ConnectionError, TimeoutError) as err:
            link.broken = True
            self.last_error = f"{self.name}: cannot send status query: {err}"
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reply_timeout
        while (left := deadline - loop.time()) > 0:
            try:
                value = await asyncio.wait_for(link.replies.get(), timeout=left)
            except TimeoutError:
                break
            if is_status_byte(value):
                link.answered = True
                return value
            self._bad_reply(value, f"reply to DLE EOT {n}")
        self.last_error = f"{self.name}: no answer to DLE EOT {n}"
        return None

    def _bad_reply(self, value: int, what: str) -> None:
        self.bad_replies += 1
        log.debug("%s: dropped byte %02x (%s)", self.name, value, what)

    async def _query(self) -> PrinterStatus:
        try:
            link = await self._open()
        except DeviceUnavailable:
            return PrinterStatus(self.name)
        printer = await self._ask(link, 1)
        if printer is None:
            return PrinterStatus(self.name)
        offline = await self._ask(link, 2)
        paper = await self._ask(link, 4)
        return parse_status(self.name, printer, offline, paper)

    async def status(self) -> PrinterStatus:
        """Query DLE EOT 1, 2 and 4 now; None/"unknown" where the printer did not answer."""
        async with self._lock:
            return await self._query()

    async def print_bytes(self, data: bytes, job: str = "") -> None:
        """Send a rendered job; raise DeviceUnavailable or PrinterNotReady when it cannot print."""
        async with self._lock:
            link = await self._open()
            try:
                link.writer.write(data)
                await asyncio.wait_for(link.writer.drain(), timeout=self.write_timeout)
            except (OSError, ConnectionError, TimeoutError) as err:
                await self._drop_link()
                raise DeviceUnavailable(f"{self.name}: job {job!r} not sent: {err!r}") from err
            if link.broken:
                await self._drop_link()
                raise DeviceUnavailable(f"{self.name}: connection lost while sending job {job!r}")
            if not link.answered:
                return  # a printer that never answers status (unidirectional): nothing to check
            # Status after the job: the printer reads it after the job's bytes, so it tells
            # whether the paper ran out or the printer went away meanwhile.
            after = await self._query()
            if after.online is None:
                raise DeviceUnavailable(f"{self.name}: no answer after job {job!r}")
            if after.paper == "out" or after.cover_open or not after.online:
                raise PrinterNotReady(
                    f"{self.name}: job {job!r} may be incomplete: paper={after.paper} "
                    f"cover_open={after.cover_open} online={after.online}",
                    after,
                )

    @property
    def progress_window(self) -> float:
        """The longest a healthy status loop goes between heartbeats: a wait, a job, three queries."""
        return self.status_interval + self.write_timeout + 3 * self.reply_timeout

    async def run(self, sink: EventSink) -> None:
        """Poll status every status_interval; emit DeviceOnline/DeviceOffline and PrinterStatus changes."""
        reachable: bool | None = None
        last: PrinterStatus | None = None
        try:
            while True:
                current = await self.status()
                self.last_progress = time.monotonic()  # answered or not: the loop goes round
                answered = current.online is not None
                if answered and reachable is not True:
                    log.info("%s: online (%s %s)", self.name, self.transport, self.port)
                    sink(DeviceOnline(self.name, detail=f"{self.transport} {self.port}"))
                elif not answered and reachable is not False:
                    log.warning("%s: offline: %s", self.name, self.last_error)
                    sink(DeviceOffline(self.name, reason=self.last_error))
                reachable = answered
                if current != last:
                    sink(current)
                    last = current
                await asyncio.sleep(self.status_interval)
        finally:
            await self.close()


async def _open_usb(
    path: str,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, asyncio.BaseTransport]:
    """Open a USB printer class device (/dev/usb/lp*) read/write, non-blocking, as a stream pair."""
    # usblp allows one open at a time: read and write share it through a dup'ed descriptor.
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        write_fd = os.dup(fd)
    except OSError:
        os.close(fd)
        raise
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    read_file = os.fdopen(fd, "rb", buffering=0)
    write_file = os.fdopen(write_fd, "wb", buffering=0)
    try:
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), read_file
        )
    except (OSError, ValueError):
        read_file.close()
        write_file.close()
        raise
    try:
        transport, protocol = await loop.connect_write_pipe(
            lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), write_file
        )
    except (OSError, ValueError):
        read_transport.close()  # it owns read_file now
        write_file.close()
        raise
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop), read_transport
