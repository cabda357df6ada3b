"""A raw HTTP/1.1 log-in whose body is sent only when asked: the login-race tests of the staff page
and the operator page hold many such requests between their headers and their bodies."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode, urlsplit


class RawLogin:
    """One form POST to `path` of the server at `url`, from the local address `source`."""

    def __init__(self, url: str, path: str, origin: str, form: dict[str, str], source: str = "127.0.0.1") -> None:
        self.url, self.path, self.origin = urlsplit(url), path, origin
        self.body, self.source = urlencode(form).encode(), source
        self.status, self.answer = 0, b""

    async def send_headers(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.url.hostname, self.url.port,
                                                                 local_addr=(self.source, 0))
        self.writer.write(
            f"POST {self.path} HTTP/1.1\r\nHost: {self.url.netloc}\r\nOrigin: {self.origin}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(self.body)}\r\n"
            "Expect: 100-continue\r\n\r\n".encode())
        await self.writer.drain()
        self.first = await self.reader.readline()  # 100 Continue once routed, or an early refusal

    async def finish(self) -> int:
        """Send the body (unless already answered) and read the status."""
        status_line = self.first
        if b" 100 " in status_line:
            await self.reader.readline()  # the blank line after 100 Continue
            self.writer.write(self.body)
            await self.writer.drain()
            status_line = await self.reader.readline()
        self.status = int(status_line.split()[1])
        self.answer = await self.reader.read(4096)
        self.writer.close()
        return self.status


async def all_at_once(logins: list[RawLogin]) -> list[int]:
    """Send every log-in's headers, one after another, and only then all their bodies; the statuses."""
    for login in logins:
        await login.send_headers()
    return await asyncio.gather(*(login.finish() for login in logins))
