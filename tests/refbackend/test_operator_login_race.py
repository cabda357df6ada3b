"""The operator page's login limit holds against many log-ins at once: each is counted before its
body is read, and at most MAX_LOGINS_IN_FLIGHT are judged at once (as the staff page, 8bcab1c).

Every request below first sends its headers (with `Expect: 100-continue`, so the page has routed it
before any body arrives), and only then all bodies.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import aiohttp
import pytest

from refbackend import ReferenceBackend
from refbackend.operators import MAX_FAILURES, add_operator
from refbackend.page.server import MAX_LOGINS_IN_FLIGHT

PASSWORD = "correct horse battery"


@pytest.fixture
async def ref(db_target: Path | str) -> AsyncIterator[ReferenceBackend]:
    backend = ReferenceBackend(db_target)
    add_operator(backend.store, "ana", "安娜", PASSWORD)
    await backend.start()
    yield backend
    await backend.stop()
    backend.close()


class Login:
    """One raw HTTP/1.1 operator login whose body is sent only when asked."""

    def __init__(self, url: str, form: dict[str, str], source: str = "127.0.0.1") -> None:
        self.url, self.body, self.source = urlsplit(url), urlencode(form).encode(), source
        self.status, self.answer = 0, b""

    async def send_headers(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.url.hostname, self.url.port,
                                                                 local_addr=(self.source, 0))
        self.writer.write(
            f"POST /operator/login HTTP/1.1\r\nHost: {self.url.netloc}\r\nOrigin: http://{self.url.netloc}\r\n"
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


async def test_thirty_wrong_passwords_at_once_then_the_right_one_judge_at_most_the_limit(ref) -> None:
    wrong = [{"login": "ana", "password": f"wrong password {i}"} for i in range(30)]
    logins = [Login(ref.url, form) for form in [*wrong, {"login": "ana", "password": PASSWORD}]]
    for login in logins:
        await login.send_headers()
    statuses = await asyncio.gather(*(login.finish() for login in logins))
    judged = [s for s in statuses if s in (200, 401)]
    assert len(judged) <= MAX_FAILURES, statuses
    assert statuses[-1] in (429, 503), logins[-1].answer  # the right password came too late: not let in
    assert set(statuses) <= {401, 429, 503}
    # and afterwards this address still waits, whatever it sends
    async with aiohttp.ClientSession() as client, client.post(
            ref.url + "operator/login", data={"login": "ana", "password": PASSWORD},
            headers={"Origin": ref.url.rstrip("/")}) as resp:
        assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1


async def test_log_ins_in_flight_from_many_addresses_are_capped_and_the_rest_told_to_retry(ref) -> None:
    # each from its own address on the loopback net, so no per-address limit applies
    logins = [Login(ref.url, {"login": "ana", "password": PASSWORD}, source=f"127.0.0.{10 + i}")
              for i in range(MAX_LOGINS_IN_FLIGHT + 4)]
    for login in logins:
        await login.send_headers()
    statuses = await asyncio.gather(*(login.finish() for login in logins))
    assert statuses.count(200) == MAX_LOGINS_IN_FLIGHT, statuses
    refused = [login for login in logins if login.status == 503]
    assert len(refused) == 4 and all(b"busy" in login.answer for login in refused)
    # once they are answered, the page takes log-ins again
    async with aiohttp.ClientSession() as client, client.post(
            ref.url + "operator/login", data={"login": "ana", "password": PASSWORD},
            headers={"Origin": ref.url.rstrip("/")}) as resp:
        assert resp.status == 200
