"""A real journal, the machine with device fakes, and a Custody wired like the daemon does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kioskd.cli.audit import signature_checker
from kioskd.custody.session import Custody, CustodySettings, key_signer
from kioskd.custody.statement import Statement
from kioskd.hall.accounts import Accounts
from kioskd.ledger import Ledger
from tests.fakes import FakeAlerts
from tests.ledger.conftest import KIOSK, PIN_KEY
from tests.machine.conftest import Kiosk

TECHS = {"1001": ("张伟", "135790"), "1002": ("李娜", "246802"), "1003": ("王芳", "112233")}


class Clock:
    """Wall clock for lock-outs, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    ledger: Ledger
    kiosk: Kiosk
    alerts: FakeAlerts
    custody: Custody
    key: Ed25519PrivateKey
    clock: Clock
    printed: list[Statement]
    accounts: Accounts
    handovers: list[tuple[dict, str]]

    async def keys(self, *keys: str) -> None:
        for key in keys:
            await self.kiosk.model.press(key)

    async def login(self, tech: str, pin: str | None = None) -> None:
        """Type ID, confirm, PIN, confirm on the keypad."""
        await self.keys(*tech, "confirm", *(pin or TECHS[tech][1]), "confirm")

    async def leave(self) -> None:
        """Press a key on the session's result and let its guard time pass (tests run it under looptime)."""
        assert self.state == "maintenance_result", self.state
        await self.keys("confirm")
        assert self.custody._timer is not None
        await self.custody._timer

    async def kinds(self) -> list[str]:
        return [e["type"] for e in await self.ledger.audit_entries()]

    async def entries(self, kind: str) -> list[dict]:
        return [e["data"] for e in await self.ledger.audit_entries() if e["type"] == kind]

    async def audit_problems(self) -> list:
        return await self.ledger.audit_check(signature_checker(self.key.public_key()))

    @property
    def state(self) -> str:
        return self.kiosk.state

    @property
    def screen(self) -> dict:
        return self.kiosk.model.snapshot()


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    ledger = await Ledger.open(tmp_path, KIOSK, pin_key=PIN_KEY)
    for tech, (name, pin) in TECHS.items():
        await ledger.staff_add(tech, name, "technician", pin, {"by": "test"})
    kiosk = Kiosk()
    alerts = FakeAlerts()
    kiosk.model.alerts = alerts
    key = Ed25519PrivateKey.generate()
    clock = Clock()
    printed: list[Statement] = []

    async def print_statement(statement: Statement) -> None:
        printed.append(statement)

    handovers: list[tuple[dict, str]] = []

    async def print_handover(record: dict, digest: str) -> None:
        handovers.append((record, digest))

    accounts = Accounts(ledger, wall=clock)
    custody = Custody(
        ledger=ledger, accounts=accounts, model=kiosk.model, alerts=alerts, sign=key_signer(key),
        denominations=kiosk.validator.denominations, settings=CustodySettings(),
        on_statement=print_statement, on_handover=print_handover, wall=clock,
    )
    kiosk.model.attach_custody(custody)
    await kiosk.model.trigger("ready")
    assert kiosk.state == "service_idle"
    yield Site(ledger, kiosk, alerts, custody, key, clock, printed, accounts, handovers)
    await ledger.close()
