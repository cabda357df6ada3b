"""ESC/POS printer emulator on a pty (or loopback TCP): answers DLE EOT, decodes jobs into receipts.

Fault switches (attributes, change them at any time): `paper_low`, `paper_out`,
`cover_open`, `offline` (no answer at all, nothing printed). A job ends at the paper
cut (GS V or ESC i/m). Jobs received while the printer cannot print go to `.dropped`.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import tty
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
# Commands with a fixed number of parameter bytes (Epson ESC/POS command reference).
_ESC_PARAMS = {
    ord(c): n
    for c, n in {
        "@": 0, "2": 0, "i": 0, "m": 0, "a": 1, "E": 1, "!": 1, "-": 1, "M": 1, "t": 1,
        "d": 1, "G": 1, "{": 1, "3": 1, "J": 1, "R": 1, "V": 1, "r": 1, " ": 1, "U": 1,
        "c": 2, "p": 3, "$": 2, "\\": 2,
    }.items()
}
_GS_PARAMS = {
    ord(c): n
    for c, n in {"!": 1, "B": 1, "b": 1, "H": 1, "f": 1, "h": 1, "w": 1, "L": 2, "W": 2}.items()
}
_FS_PARAMS = {ord(c): n for c, n in {"&": 0, ".": 0, "!": 1, "C": 1, "W": 1, "S": 2, "-": 1}.items()}


@dataclass
class Line:
    """One printed line with the layout it was printed in (for the picture)."""

    text: str
    align: str = "left"
    bold: bool = False
    scale: int = 1
    qr: str | None = None  # set for a QR code "line"


@dataclass
class Receipt:
    """One decoded job: its text lines (Chinese decoded from GB18030) and QR payloads."""

    lines: list[str] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    layout: list[Line] = field(default_factory=list)


class EscposDecoder:
    """Incremental ESC/POS parser: feed bytes, get receipts and DLE EOT queries back."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.current = Receipt()
        self.unknown: list[bytes] = []  # commands we skipped without understanding
        self._text = bytearray()
        self._pending = ""  # decoded text of the line being built
        self._reset_modes()

    def _reset_modes(self) -> None:
        self.chinese = False
        self.align = "left"
        self.bold = False
        self.scale = 1
        self._qr_store = b""

    def feed(self, data: bytes) -> list[tuple[str, int | Receipt]]:
        """Parse what can be parsed; returns ("status", n) and ("receipt", Receipt) in order."""
        self.buffer += data
        out: list[tuple[str, int | Receipt]] = []
        while self.buffer:
            used = self._one(out)
            if used == 0:
                break  # an incomplete command: wait for more bytes
            del self.buffer[:used]
        return out

    def _one(self, out: list[tuple[str, int | Receipt]]) -> int:
        buf = self.buffer
        first = buf[0]
        if first == 0x0A:
            self._end_line()
            return 1
        if first == 0x0D:
            return 1
        if first == DLE:
            if len(buf) < 3:
                return 0
            if buf[1] == 0x04:
                out.append(("status", buf[2]))
            return 3
        if first in (ESC, GS, FS):
            return self._command(out)
        if first < 0x20:
            return 1  # other control bytes do nothing here
        return self._text_bytes()

    def _text_bytes(self) -> int:
        buf = self.buffer
        if self.chinese and buf[0] >= 0x81:
            # GB18030: two bytes, or four when the second is a digit 0x30-0x39.
            size = 4 if len(buf) >= 2 and 0x30 <= buf[1] <= 0x39 else 2
            if len(buf) < size:
                return 0
            self._text += buf[:size]
            return size
        self._text.append(buf[0])
        return 1

    def _command(self, out: list[tuple[str, int | Receipt]]) -> int:
        buf = self.buffer
        if len(buf) < 2:
            return 0
        prefix, code = buf[0], buf[1]
        if prefix == GS and code == ord("("):
            return self._gs_paren()
        if prefix == GS and code == ord("V"):
            if len(buf) < 3:
                return 0
            size = 4 if buf[2] in (65, 66) else 3
            if len(buf) < size:
                return 0
            out.append(("receipt", self._cut()))
            return size
        if prefix == GS and code == ord("v"):  # GS v 0 m xL xH yL yH: raster image
            if len(buf) < 8:
                return 0
            size = 8 + (buf[4] | buf[5] << 8) * (buf[6] | buf[7] << 8)
            return size if len(buf) >= size else 0
        table = {ESC: _ESC_PARAMS, GS: _GS_PARAMS, FS: _FS_PARAMS}[prefix]
        params = table.get(code)
        if params is None:
            self.unknown.append(bytes(buf[:2]))
            log.debug("emulator: unknown command %s", bytes(buf[:2]).hex(" "))
            return 2
        if len(buf) < 2 + params:
            return 0
        arg = buf[2] if params else 0
        self._apply(prefix, chr(code), arg, out)
        return 2 + params

    def _apply(self, prefix: int, code: str, arg: int, out: list[tuple[str, int | Receipt]]) -> None:
        if prefix == ESC:
            if code == "@":
                self._end_line(only_if_text=True)
                self._reset_modes()
            elif code == "a":
                self.align = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}.get(arg, "left")
            elif code == "E":
                self.bold = bool(arg & 1)
            elif code == "d":
                self._end_line(only_if_text=True)
            elif code in "im":
                out.append(("receipt", self._cut()))
        elif prefix == GS and code == "!":
            self.scale = max((arg >> 4) + 1, (arg & 0x0F) + 1)
        elif prefix == FS and code == "&":
            self._flush_text()
            self.chinese = True
        elif prefix == FS and code == ".":
            self._flush_text()
            self.chinese = False

    def _gs_paren(self) -> int:
        buf = self.buffer
        if len(buf) < 5:
            return 0
        size = 5 + (buf[3] | buf[4] << 8)
        if len(buf) < size:
            return 0
        body = bytes(buf[5:size])
        if buf[2] == ord("k") and body[:1] == b"1":  # cn 49: QR code
            fn = body[1:2]
            if fn == b"P":  # store the data (m = '0')
                self._qr_store = body[3:]
            elif fn == b"Q":  # print the stored data
                self._end_line(only_if_text=True)
                payload = self._qr_store.decode("utf-8", "replace")
                self.current.qr.append(payload)
                self.current.layout.append(Line("", align=self.align, qr=payload))
        return size

    def _flush_text(self) -> None:
        # Text is decoded in the mode it was received in: GB18030 in Chinese mode,
        # code page PC437 (ASCII part) otherwise.
        if not self._text:
            return
        codec = "gb18030" if self.chinese else "cp437"
        self._pending += self._text.decode(codec, "replace")
        self._text.clear()

    def _end_line(self, only_if_text: bool = False) -> None:
        self._flush_text()
        text = self._pending
        if only_if_text and not text:
            return
        self._pending = ""
        self.current.lines.append(text)
        self.current.layout.append(Line(text, self.align, self.bold, self.scale))

    def _cut(self) -> Receipt:
        self._end_line(only_if_text=True)
        done, self.current = self.current, Receipt()
        return done


class EscposEmulator:
    """A receipt printer on a pty (default) or a loopback TCP port, speaking ESC/POS."""

    def __init__(self, *, tcp: bool = False) -> None:
        self.tcp = tcp
        self.paper_low = False
        self.paper_out = False
        self.cover_open = False
        self.offline = False
        self.receipts: list[Receipt] = []
        self.dropped: list[Receipt] = []  # jobs that arrived while it could not print
        self.queries: list[int] = []  # every DLE EOT n received, answered or not
        self.port = ""
        self.received = asyncio.Event()  # set whenever a receipt or a query is handled
        self._decoder = EscposDecoder()
        self._master: int | None = None
        self._slave: int | None = None
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Open the pty (or TCP listener); `.port` is then the path (or host:port) to use."""
        if self.tcp:
            self._server = await asyncio.start_server(self._serve_tcp, "127.0.0.1", 0)
            host, port = self._server.sockets[0].getsockname()[:2]
            self.port = f"{host}:{port}"
            return
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line discipline: bytes pass as they are
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        asyncio.get_running_loop().add_reader(self._master, self._on_pty)

    async def stop(self) -> None:
        """Close the pty or listener."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._clients):
                writer.close()
            await self._server.wait_closed()
            self._server = None
        if self._master is not None:
            asyncio.get_running_loop().remove_reader(self._master)
            os.close(self._master)
            self._master = None
        if self._slave is not None:
            os.close(self._slave)
            self._slave = None

    def ready(self) -> bool:
        """True when a job sent now would be printed."""
        return not (self.offline or self.paper_out or self.cover_open)

    def status_byte(self, n: int) -> int:
        """The DLE EOT n reply for the current switches."""
        value = 0x12
        if n == 1 and (self.paper_out or self.cover_open):
            value |= 0x08  # offline
        elif n == 2:
            value |= (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
        elif n == 4:
            value |= (0x0C if self.paper_low else 0) | (0x60 if self.paper_out else 0)
        return value

    def _handle(self, data: bytes) -> bytes:
        replies = bytearray()
        for kind, value in self._decoder.feed(data):
            if kind == "status":
                assert isinstance(value, int)
                self.queries.append(value)
                if not self.offline:
                    replies.append(self.status_byte(value))
            else:
                assert isinstance(value, Receipt)
                (self.receipts if self.ready() else self.dropped).append(value)
            self.received.set()
        return bytes(replies)

    def _on_pty(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:
            return
        except OSError:
            return  # EIO while no client has the slave open: nothing to read
        reply = self._handle(data)
        if reply:
            os.write(self._master, reply)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while data := await reader.read(4096):
                reply = self._handle(data)
                if reply:
                    writer.write(reply)
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `predicate()` is true (checked whenever something arrives), or TimeoutError."""
        async with asyncio.timeout(within):
            while not predicate():
                self.received.clear()
                await self.received.wait()


def render_png(receipt: Receipt, width: int = 576) -> bytes:
    """A picture of the receipt (576 dots = 80 mm at 203 dpi): text lines and QR codes."""
    from drivers.printer.picture import draw_receipt

    image = draw_receipt(receipt.layout, width)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
