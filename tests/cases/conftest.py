"""Fixtures: the case procedure over a real journal, a reference backend on loopback, real alerts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from drivers.base import PrinterStatus
from kioskd import config as cfg
from kioskd.hall.alerts import Alerts
from kioskd.hall.cases import Cases
from kioskd.ledger import Ledger
from kioskd.uplink.client import BackendClient
from kioskd.uplink.outbox import OutboxSender
from kioskd.uplink.payments import UplinkPayments
from refbackend import ReferenceBackend
from tests.uplink.support import KIOSK, account


@dataclass(frozen=True)
class Person:
    """Someone acting, as kioskd.hall.accounts.Person gives it."""

    id: str
    name: str
    role: str

    def audit(self) -> dict[str, Any]:
        return {"by": self.id, "by_name": self.name, "by_role": self.role, "via": "test"}


HALL = Person("2001", "王芳", "hall")
MANAGER = Person("3001", "李经理", "manager")


@dataclass
class Printer:
    """The receipt printer's port as the service sees it: its status, and the jobs sent."""

    ready: bool = True
    jobs: list[tuple[str, bytes]] = field(default_factory=list)
    name: str = "printer"

    async def status(self) -> PrinterStatus:
        return PrinterStatus("printer", online=self.ready, cover_open=False, paper="ok" if self.ready else "out")

    async def print_bytes(self, data: bytes, job: str = "") -> None:
        self.jobs.append((job, data))


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[ReferenceBackend]:
    ref = ReferenceBackend(tmp_path / "backend.sqlite3")
    yield ref
    await ref.stop()
    ref.close()


@pytest.fixture
async def kiosk(tmp_path: Path, backend: ReferenceBackend) -> AsyncIterator[dict[str, Any]]:
    key = Ed25519PrivateKey.generate()
    backend.enroll(KIOSK, key.public_key())
    url = await backend.start()
    config = cfg.from_dict({"kiosk": {"id": KIOSK, "name": "示例营业厅"}, "validator": {"port": "x"},
                            "printer": {"port": "x"}, "backend": {"url": url, "timeout": 2.0},
                            "keypad": {"driver": "screen"}, "storage": {"path": str(tmp_path / "state")}})
    ledger = await Ledger.open(tmp_path / "state", KIOSK)
    client = BackendClient(url, KIOSK, key, timeout=2.0)
    flagged: list[tuple[str, str, str]] = []
    sender = OutboxSender(ledger, client, first_backoff=0.05, backoff_cap=0.2, on_flagged=lambda *a: flagged.append(a))
    alerts = Alerts(ledger)
    printer = Printer()
    cases = Cases(ledger=ledger, client=client, sender=sender, alerts=alerts, printer=printer, config=config)
    sender.case_handler = cases.send_from_outbox
    # the daemon's own 10 s deadline (a loaded machine's request and fsyncs can overrun 1 s); a test whose
    # backend never answers shortens it with `unanswered`
    payments = UplinkPayments(ledger, client, submit_timeout=10.0, outbox=sender)
    yield {"ledger": ledger, "client": client, "sender": sender, "alerts": alerts, "printer": printer,
           "cases": cases, "payments": payments, "backend": backend, "config": config, "flagged": flagged}
    await alerts.drain()
    await client.close()
    await ledger.close()


@contextmanager
def unanswered(k: dict[str, Any]) -> Iterator[None]:
    """The backend answers no payment meanwhile: pending at any deadline, so each waits 1 s, not 10."""
    k["payments"].submit_timeout = 1.0
    try:
        yield
    finally:
        k["payments"].submit_timeout = 10.0


async def pay(k: dict[str, Any], number: str, *values: int) -> Any:
    """A customer pays `values` into `number`; the payment submitted to the backend once."""
    ledger = k["ledger"]
    txn = await ledger.open_payment(account(number))
    for value in values:
        await ledger.stack_requested(txn, value)
        await ledger.commit_note(txn, value)
    await ledger.close_payment(txn)
    return await k["payments"].submit(txn)
