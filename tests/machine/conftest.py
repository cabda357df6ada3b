"""A model and machine wired to fakes; tests drive it by keys and device events."""

from __future__ import annotations

import asyncio

import pytest

from statemachine.definition import Timeouts
from statemachine.machine import build_machine
from statemachine.model import KioskModel, Rules
from tests.fakes import FakeAlerts, FakeJournal, FakePayments, FakeReceipts, FakeValidator


class Kiosk:
    """The model plus its fakes, and a log of (state, validator accepting) after each change."""

    def __init__(self, rules: Rules = Rules(), timeouts: Timeouts = Timeouts()) -> None:
        self.validator = FakeValidator()
        self.journal = FakeJournal()
        self.payments = FakePayments(self.journal)
        self.receipts = FakeReceipts()
        self.alerts = FakeAlerts()
        self.snapshots: list[dict] = []
        self.model = KioskModel(
            validator=self.validator, journal=self.journal, payments=self.payments,
            receipts=self.receipts, alerts=self.alerts, rules=rules, publish=self._seen,
        )
        self.machine = build_machine(self.model, timeouts)

    def _seen(self, snapshot: dict) -> None:
        self.snapshots.append(snapshot)
        # invariant 1, checked at every step: notes are accepted only while taking cash
        if self.validator.accepting:
            assert snapshot["state"].startswith("payment_cash"), snapshot["state"]

    @property
    def state(self) -> str:
        return self.model.state

    async def settle(self) -> None:
        """Let the model's tasks (look-up, submit, print) finish and their triggers run."""
        for _ in range(100):
            if not self.model.tasks:
                return
            await asyncio.gather(*list(self.model.tasks), return_exceptions=True)
        raise AssertionError("model tasks keep spawning")

    async def keys(self, *keys: str) -> None:
        for key in keys:
            await self.model.press(key)
            await self.settle()

    async def type(self, digits: str) -> None:
        await self.keys(*digits)

    async def to_cash(self, account: str = "0012345678") -> None:
        await self.type(account)
        await self.keys("confirm")
        assert self.state == "payment_confirm", self.state
        await self.keys("confirm")
        assert self.state == "payment_cash_waiting", self.state

    async def insert(self, value: int) -> None:
        """A note arrives in escrow; if the machine stacks it, the device credits it."""
        await self.model.trigger("note_escrowed", value)
        if self.validator.actions[-1] == "stack":
            from tests.fakes import credit

            await credit(self.model, value)
        else:
            await self.model.trigger("note_returned", value)
        await self.settle()


@pytest.fixture
async def kiosk() -> Kiosk:
    k = Kiosk()
    await k.model.trigger("ready")
    assert k.state == "service_idle"
    return k
