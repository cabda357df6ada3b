"""Build the HierarchicalAsyncMachine from the definition and a model."""

from __future__ import annotations

from transitions.extensions.asyncio import AsyncTimeout, HierarchicalAsyncMachine

from statemachine.definition import TRANSITIONS, Timeouts, states
from statemachine.model import KioskModel


class KioskState(AsyncTimeout, HierarchicalAsyncMachine.state_cls):  # type: ignore[misc,name-defined]
    """A nested async state that may carry a timeout."""


class KioskMachine(HierarchicalAsyncMachine):
    """The kiosk's machine: nested states with timeouts, queued triggers."""

    state_cls = KioskState


def build_machine(model: KioskModel, timeouts: Timeouts = Timeouts()) -> KioskMachine:
    """Attach the kiosk's state chart to `model`; it starts in `starting`."""
    machine = KioskMachine(
        model=model,
        states=states(timeouts),
        transitions=TRANSITIONS,
        initial="starting",
        queued=True,
        ignore_invalid_triggers=True,
        auto_transitions=False,
        after_state_change="publish",
    )
    model.machine = machine
    return machine
