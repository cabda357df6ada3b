"""The fleet bench's load generator and meters: a light HTTP/1.1 client, CPU seconds per process tree.

The generator shares the machine's two cores with the backend, so it spends as little as it can:
requests are signed and encoded to bytes beforehand, each connection is kept alive and sends its
next request when the answer is in (as a kiosk does; no pipelining), and answers are parsed only
as far as the status line and Content-Length.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Request:
    """One pre-encoded request: its path (for the figures) and its bytes on the wire."""

    path: str
    wire: bytes


@dataclass
class Result:
    """What one run measured: wall seconds, latencies per path, answers per (path, status)."""

    seconds: float = 0.0
    latency: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[tuple[str, int], int] = field(default_factory=dict)


def encode(host: str, path: str, body: str) -> Request:
    """A POST of a JWS, as bytes."""
    data = body.encode("ascii")
    head = (f"POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/jose\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode("ascii")
    return Request(path, head + data)


class _Connection(asyncio.Protocol):
    """One kept-alive connection: send a request, wait for its whole answer, repeat."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.answer: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.answer is None:
            return
        head = bytes(self.buffer[:end]).split(b"\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head[1:] if line.lower().startswith(b"content-length:")), 0)
        if len(self.buffer) >= end + 4 + length:
            del self.buffer[:end + 4 + length]
            self.answer.set_result(int(head[0].split()[1]))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError("the backend closed the connection"))

    async def send(self, wire: bytes) -> int:
        self.answer = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(wire)
        return await self.answer


async def drive(host: str, port: int, work: list[Request], concurrency: int) -> Result:
    """Send every request over `concurrency` kept-alive connections; each takes the next when answered."""
    loop = asyncio.get_running_loop()
    queue, result = iter(work), Result()

    async def one() -> None:
        transport, conn = await loop.create_connection(_Connection, host, port)
        try:
            for request in queue:
                start = time.perf_counter()
                status = await conn.send(request.wire)
                result.latency.setdefault(request.path, []).append(time.perf_counter() - start)
                key = (request.path, status)
                result.statuses[key] = result.statuses.get(key, 0) + 1
        finally:
            transport.close()

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - start
    return result


def descendants(pid: int) -> list[int]:
    """A process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process still alive."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return out


class CpuMeter:
    """CPU seconds that process trees spent between start() and stop() (processes born meanwhile count whole)."""

    def __init__(self, **roots: int) -> None:
        self.roots = roots
        self.before: dict[str, dict[int, float]] = {}

    def start(self) -> None:
        self.before = {name: cpu_seconds(descendants(pid)) for name, pid in self.roots.items()}

    def stop(self) -> dict[str, float]:
        spent = {}
        for name, pid in self.roots.items():
            now = cpu_seconds(descendants(pid))
            spent[name] = sum(t - self.before[name].get(p, 0.0) for p, t in now.items())
        return spent
