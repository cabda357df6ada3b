"""A datagram socket standing in for systemd's $NOTIFY_SOCKET (path or abstract)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from pathlib import Path


class NotifySocket:
    """Bind where systemd would; collect every notification line that arrives."""

    def __init__(self, path: Path | None = None) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK)
        if path is None:  # abstract namespace: "@name" in the environment, "\0name" on the wire
            name = f"kioskd-test-{os.getpid()}-{id(self)}"
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            self.sock.bind(str(path))
            self.address = str(path)
        self.lines: list[str] = []
        self.messages: list[list[str]] = []
        self._changed = asyncio.Condition()
        asyncio.get_running_loop().add_reader(self.sock.fileno(), self._readable)

    def _readable(self) -> None:
        while True:
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                break
            message = data.decode().split("\n")
            self.messages.append(message)
            self.lines.extend(message)
        asyncio.get_running_loop().create_task(self._wake())

    async def _wake(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def count(self, line: str) -> int:
        """How many times exactly `line` arrived."""
        return self.lines.count(line)

    def statuses(self) -> list[str]:
        """Every STATUS= text, oldest first."""
        return [line[len("STATUS="):] for line in self.lines if line.startswith("STATUS=")]

    async def until(self, predicate: Callable[[], bool], what: str, within: float = 20.0) -> None:
        """Wait (bounded) until `predicate()` holds; AssertionError naming `what` otherwise."""
        async with self._changed:
            try:
                async with asyncio.timeout(within):
                    await self._changed.wait_for(predicate)
            except TimeoutError:
                raise AssertionError(f"waited {within}s for {what}; got {self.lines[-12:]}") from None

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.sock.fileno())
        self.sock.close()
