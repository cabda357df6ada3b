"""Fixtures: a reference backend on loopback and a raw signed-POST helper."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kioskd.refbackend import ReferenceBackend
from tests.uplink.support import KIOSK

Post = Callable[[str, str], Awaitable[tuple[int, dict]]]


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
async def backend(tmp_path: Path, key: Ed25519PrivateKey) -> AsyncIterator[ReferenceBackend]:
    ref = ReferenceBackend(tmp_path / "backend.sqlite3")
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
