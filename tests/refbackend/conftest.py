"""Fixtures: a reference backend on loopback (on SQLite and on a real PostgreSQL), a signed-POST helper."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from refbackend import ReferenceBackend
from refbackend.operators import add_operator
from refbackend.testbed.postgres import ThrowawayPostgres, find_bindir
from tests.uplink.support import KIOSK

Post = Callable[[str, str], Awaitable[tuple[int, dict]]]


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[ThrowawayPostgres]:
    """A real PostgreSQL server for the whole session, started from the installed binaries."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found under "
                    "/usr/lib/postgresql/*/bin or on PATH; install them: apt-get install postgresql")
    server = ThrowawayPostgres(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: ThrowawayPostgres) -> str:
    """A postgresql:// URL of a new empty schema of the test database (a store starts empty there)."""
    return pg_server.fresh_url()


@pytest.fixture(params=["sqlite", "postgres"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the backend stores: a SQLite file, or a fresh database on the test's PostgreSQL server."""
    if request.param == "postgres":
        return request.getfixturevalue("pg_url")
    return tmp_path / "backend.sqlite3"


@pytest.fixture
async def backend(db_target: Path | str, key: Ed25519PrivateKey) -> AsyncIterator[ReferenceBackend]:
    ref = ReferenceBackend(db_target)
    ref.enroll(KIOSK, key.public_key())
    await ref.start()
    yield ref
    await ref.stop()
    ref.close()


@pytest.fixture
async def post(backend: ReferenceBackend) -> AsyncIterator[Post]:
    """POST a body as application/jose; returns (status, JSON answer)."""
    async with aiohttp.ClientSession() as session:

        async def send(path: str, body: str) -> tuple[int, dict]:
            async with session.post(backend.url + path, data=body,
                                    headers={"Content-Type": "application/jose"}) as resp:
                assert resp.content_type == "application/json"
                return resp.status, await resp.json()

        yield send


OPERATOR_PASSWORD = "correct horse battery"


@pytest.fixture
async def ref(db_target: Path | str) -> AsyncIterator[ReferenceBackend]:
    """A started reference backend with one operator, ana, whose password is OPERATOR_PASSWORD."""
    backend = ReferenceBackend(db_target)
    add_operator(backend.store, "ana", "安娜", OPERATOR_PASSWORD)
    await backend.start()
    yield backend
    await backend.stop()
    backend.close()
