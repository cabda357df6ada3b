"""`kioskd-backend serve --workers 2`: two processes answer on one port, and credit a payment once between them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jws import sign
from kioskd.uplink.keys import public_b64url
from refbackend.store import open_store
from tests.uplink.support import KIOSK, ZHANG, lookup_token, payment_payload

ROOT = Path(__file__).resolve().parents[2]
LISTEN, ESTABLISHED = "0A", "01"  # socket states in /proc/net/tcp


def _tcp_sockets(port: int) -> list[tuple[str, int, str]]:
    """(state, remote port, inode) of every IPv4 TCP socket whose local port is `port`."""
    out = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if int(local.split(":")[1], 16) == port:
            out.append((state, int(remote.split(":")[1], 16), inode))
    return out


def _socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets process `pid` holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


class Connection:
    """One kept-alive HTTP/1.1 connection to the backend, and the worker process that accepted it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.local_port = writer.get_extra_info("sockname")[1]

    def worker(self, port: int, workers: list[int]) -> int | None:
        """The worker holding the server's end of this connection (None: none or both)."""
        ends = {inode for state, remote, inode in _tcp_sockets(port) if state == ESTABLISHED and remote == self.local_port}
        owners = [pid for pid in workers if ends & _socket_inodes(pid)]
        return owners[0] if len(owners) == 1 else None

    async def post(self, path: str, body: str) -> tuple[int, dict]:
        data = body.encode("ascii")
        self.writer.write(f"POST /{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/jose\r\n"
                          f"Content-Length: {len(data)}\r\n\r\n".encode("ascii") + data)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("ascii").split("\r\n")
        length = next(int(h.split(":")[1]) for h in head if h.lower().startswith("content-length:"))
        return int(head[0].split()[1]), json.loads(await self.reader.readexactly(length))

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def _one_per_worker(port: int, workers: list[int], key: Ed25519PrivateKey) -> dict[int, Connection]:
    """Open connections until each worker holds one (SO_REUSEPORT picks by a hash of the client's port)."""
    mine: dict[int, Connection] = {}
    spare = []
    for _ in range(200):  # a 2-way hash leaves one worker out of 200 connections with odds 2**-199
        conn = Connection(*await asyncio.open_connection("127.0.0.1", port))
        status, answer = await conn.post("v1/accounts/lookup", lookup_token(key))  # answered: accepted
        assert status == 200 and answer["account"] == ZHANG
        owner = conn.worker(port, workers)
        assert owner is not None
        if owner in mine:
            spare.append(conn)
        else:
            mine[owner] = conn
        if len(mine) == len(workers):
            break
    for conn in spare:
        await conn.close()
    return mine


async def test_two_workers_answer_on_one_port_and_credit_a_payment_once(db_target: Path | str) -> None:
    key = Ed25519PrivateKey.generate()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "refbackend", "serve", "--listen", "127.0.0.1:0", "--db", str(db_target),
        "--workers", "2", "--enroll", f"{KIOSK}={public_b64url(key)}",
        stdout=asyncio.subprocess.PIPE, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        async with asyncio.timeout(30):
            line = (await proc.stdout.readline()).decode()
        assert line.startswith("listening on http://127.0.0.1:") and line.endswith("(2 workers)\n"), line
        port = int(line.split()[2].rstrip("/").rsplit(":", 1)[1])
        workers = _children(proc.pid)
        assert len(workers) == 2
        listening = {inode for state, _, inode in _tcp_sockets(port) if state == LISTEN}
        assert all(listening & _socket_inodes(pid) for pid in workers), "each worker listens on the one port"
        assert not listening & _socket_inodes(proc.pid), "the parent only held the port until they listened"

        by_worker = await _one_per_worker(port, workers, key)
        assert sorted(by_worker) == sorted(workers), "both workers accept connections"
        payment = sign(payment_payload(amount=15000), key, KIOSK)
        answers = []
        for _ in range(3):  # the same payment to both workers at once, then again
            answers += await asyncio.gather(*(conn.post("v1/payments", payment) for conn in by_worker.values()))
        for conn in by_worker.values():
            await conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await proc.wait() == 0
    assert answers[0][0] == 200 and answers[0][1]["status"] == "credited"
    assert all(answer == answers[0] for answer in answers), answers
    store = open_store(db_target)
    try:
        assert sum(store.credits(KIOSK).values()) == 15000
        assert store.account(ZHANG)["balance"] == -12350 + 15000
    finally:
        store.close()
