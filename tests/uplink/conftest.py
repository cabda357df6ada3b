"""Fixtures: a reference backend on loopback, a kiosk key, client, real ledger, payments, sender."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kioskd.ledger import Ledger
from kioskd.uplink.client import BackendClient
from kioskd.uplink.outbox import OutboxSender
from kioskd.uplink.payments import UplinkPayments
from refbackend import ReferenceBackend
from tests.uplink.support import KIOSK


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
async def client(backend: ReferenceBackend, key: Ed25519PrivateKey) -> AsyncIterator[BackendClient]:
    c = BackendClient(backend.url, KIOSK, key, timeout=2.0)
    yield c
    await c.close()


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    state = tmp_path / "state"
    state.mkdir()
    opened = await Ledger.open(state, KIOSK)
    yield opened
    await opened.close()


@pytest.fixture
def flagged() -> list[tuple[str, str, str]]:
    return []


@pytest.fixture
def sender(ledger: Ledger, client: BackendClient, flagged: list) -> OutboxSender:
    return OutboxSender(ledger, client, on_flagged=lambda *a: flagged.append(a), first_backoff=0.05, backoff_cap=0.2)


@pytest.fixture
def payments(ledger: Ledger, client: BackendClient, sender: OutboxSender, flagged: list) -> UplinkPayments:
    # the daemon's own 10 s deadline: a loaded machine's signed request and fsyncs overran 1 s (cba8e95);
    # the late-answer tests set their own short one against a slower backend
    return UplinkPayments(
        ledger, client, submit_timeout=10.0, outbox=sender, on_flagged=lambda *a: flagged.append(a)
    )
