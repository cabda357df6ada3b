"""Build the HierarchicalAsyncMachine from the definition and a model."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from transitions.extensions.asyncio import (
    AsyncMachine,
    AsyncTimeout,
    HierarchicalAsyncMachine,
    NestedAsyncState,
)

from statemachine.definition import TRANSITIONS, Timeouts, states
from statemachine.model import KioskModel

log = logging.getLogger("kioskd.machine")


class KioskState(AsyncTimeout, NestedAsyncState):  # HierarchicalAsyncMachine.state_cls
    """A nested async state that may carry a timeout, stretched or replaced per visit by the model.

    Each timer carries the arming it was started for (the model's `armed_timer`) into its trigger:
    a trigger queued behind a state change (a key, a note, the printer's answer that came as the
    time ran out) finds its state entry over and is dropped by the `timer_current` guard.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._entered_with: dict[int, Any] = {}

    def create_timer(self, event_data: Any) -> asyncio.Task[None]:
        """AsyncTimeout's timer, for as long as the model says (large text, a stuck note)."""
        model = event_data.model
        self._entered_with[id(model)] = event_data
        seconds = model.timeout_seconds(model.state, self.timeout)
        armed = model.arm_timer()  # any earlier timer's trigger is stale from now on

        async def _timeout() -> None:
            try:
                await asyncio.sleep(seconds)
                await asyncio.shield(self._time_out(model, armed))
            except asyncio.CancelledError:
                pass

        return asyncio.create_task(_timeout())

    async def _time_out(self, model: Any, armed: int) -> None:
        """Fire this state's timeout trigger with the arming it belongs to."""
        context = AsyncMachine.current_context.set(None)  # its own context, as AsyncTimeout's
        try:
            for trigger in self.on_timeout:
                await model.trigger(trigger, armed)
        except Exception:
            log.exception("timeout of %s failed", self.name)
        finally:
            AsyncMachine.current_context.reset(context)

    async def exit(self, event_data: Any) -> None:  # type: ignore[override]  # async, as AsyncState.exit (the stubs list State.exit)
        """Leaving the state ends its timer's entry: a trigger it queued already is stale."""
        if self.timeout > 0:
            event_data.model.disarm_timer()
        await super().exit(event_data)

    def restart_timer(self, model: Any) -> None:
        """Start this state's timeout afresh for `model` (its visit's timeouts changed)."""
        task, event_data = self.runner.get(id(model)), self._entered_with.get(id(model))
        if event_data is None:
            return
        if task is not None:  # done already: it ran out and its trigger waits in the queue, stale from now
            task.cancel()
        self.runner[id(model)] = self.create_timer(event_data)


class KioskMachine(HierarchicalAsyncMachine):
    """The kiosk's machine: nested states with timeouts, queued triggers."""

    state_cls = KioskState

    def _check_event_result(self, res: Any, model: Any, trigger: str) -> Any:
        """An event the state does not take is ignored by design: a debug line, not a warning.

        Keys a screen ignores (cancel at idle) and device news a state has no use for
        (health_changed while a note is stacking) come all the time; transitions would warn.
        """
        if res is None:
            log.debug("%s ignored in %s", trigger, getattr(model, self.model_attribute))
            return False
        return res


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
    model.machine, model.timeouts = machine, timeouts
    return machine
