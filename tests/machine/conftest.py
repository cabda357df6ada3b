"""A model and machine wired to fakes; tests drive it by keys and device events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from transitions.extensions.asyncio import NestedAsyncTransition

from statemachine.definition import Timeouts
from statemachine.machine import build_machine
from statemachine.model import KioskModel, Rules
from tests.fakes import (
    FakeAlerts,
    FakeJournal,
    FakePayments,
    FakeReceipts,
    FakeReprints,
    FakeValidator,
)
from tests.machine.transition_coverage import RECORDER, chart_transitions


class Kiosk:
    """The model plus its fakes, and a log of (state, validator accepting) after each change."""

    def __init__(self, rules: Rules = Rules(), timeouts: Timeouts = Timeouts(),
                 clock: Callable[[], float] = time.time) -> None:
        self.validator = FakeValidator()
        self.journal = FakeJournal()
        self.payments = FakePayments(self.journal)
        self.receipts = FakeReceipts()
        self.alerts = FakeAlerts()
        self.reprints = FakeReprints()
        self.snapshots: list[dict] = []
        self.model = KioskModel(
            validator=self.validator, journal=self.journal, payments=self.payments,
            receipts=self.receipts, alerts=self.alerts, rules=rules, publish=self._seen, reprints=self.reprints,
            clock=clock,
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

    async def counted_then_stacking(self, counted: tuple[int, ...], sent: int) -> None:
        """A payment with `counted` notes in, then `sent` on its way to the box (STACK sent, no answer yet)."""
        await self.to_cash()
        for value in counted:
            await self.insert(value)
        await self.model.trigger("note_escrowed", sent)
        assert self.state == "payment_cash_stacking" and self.validator.actions[-1] == "stack"


@pytest.fixture
async def kiosk() -> Kiosk:
    k = Kiosk()
    await k.model.trigger("ready")
    assert k.state == "service_idle"
    return k


# --- transition coverage: every transition of the chart is fired by some test here -----------
# An autouse fixture records the transitions executed; at session end, if every test of this
# directory was selected and ran, the run fails naming each transition no test fired.

HERE = Path(__file__).parent
_known: set[str] = set()  # every test item collected in this directory, before any selection
_selected: set[str] = set()  # the ones this run kept (-k, --lf, node ids drop some)
_finished: set[str] = set()
_modules: set[Path] = set()
_report: list[str] = []


def _here(node: Any) -> bool:
    return HERE in Path(node.path).parents


@pytest.fixture(autouse=True)
def record_transitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record each transition the machine executes during the test."""
    execute = NestedAsyncTransition.execute

    async def recording(self: NestedAsyncTransition, event_data: Any) -> bool:
        done = await execute(self, event_data)
        if done:
            RECORDER.record(self, event_data.event.name)
        return done

    monkeypatch.setattr(NestedAsyncTransition, "execute", recording)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    for node in report.result:
        if isinstance(node, pytest.Item) and _here(node):
            _known.add(node.nodeid)
            _modules.add(Path(node.path))


def pytest_collection_finish(session: pytest.Session) -> None:
    _selected.update(item.nodeid for item in session.items if _here(item))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown" and report.nodeid in _selected:
        _finished.add(report.nodeid)


def pytest_sessionfinish(session: pytest.Session) -> None:
    whole_directory = _modules == set(HERE.rglob("test_*.py")) and _selected == _known
    if not whole_directory or _finished != _selected:
        return  # a subset ran (or stopped early): some transitions are legitimately unfired
    chart = chart_transitions()
    _report.extend(str(fired) for fired in RECORDER.never_fired(chart))
    _report.extend(f"{fired}  (fired, but not in the chart: fix transition_coverage.py)"
                   for fired in RECORDER.outside(chart))
    if _report:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _report:
        terminalreporter.section("transitions no machine test fired", sep="=", red=True, bold=True)
        for line in _report:
            terminalreporter.line(f"  {line}", red=True)
        terminalreporter.line(f"{len(_report)} transition(s) of statemachine/definition.py not "
                              "fired by any test: write the behaviour test, or list it in "
                              "tests/machine/transition_coverage.py UNREACHABLE with the reason")
