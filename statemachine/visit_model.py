"""The model's side of one customer's visit: rating, large text, the next customer's first digit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from statemachine.definition import NOTE_TIMED, Timeouts

log = logging.getLogger("kioskd.machine")

RATINGS = ("good", "fair", "poor")  # 满意 / 一般 / 不满意: the rate_* keys


class VisitMixin:
    """Mixed into KioskModel: what belongs to the person at the kiosk rather than to the money."""

    state: str
    machine: Any
    journal: Any
    result: Any
    timeouts: Timeouts = Timeouts()
    text_enlarged = False  # the accessibility key: large type, longer timeouts, this visit only
    rating: str | None = None
    armed_timer: int | None = None  # the timer of the state entry now running (KioskState); None: untimed
    _timers_armed = 0
    # the host's (KioskModel, TroubleMixin): declared so the calls below are checked
    stuck_timeout: Callable[[str, float], float | None]
    mark_deadline: Callable[..., None]
    spawn: Callable[[Coroutine[Any, Any, Any], str], None]
    _reset_payment: Callable[[], None]
    type_digit: Callable[..., None]
    trigger: Callable[..., Awaitable[bool]]

    def end_visit(self) -> None:
        """The person has gone: the next one starts with the default text size."""
        self.text_enlarged = False

    # --- timeouts ------------------------------------------------------------------------------
    def arm_timer(self) -> int:
        """A timed state's timer starts (entry or restart): the one its trigger must carry."""
        self._timers_armed += 1
        self.armed_timer = self._timers_armed
        return self.armed_timer

    def disarm_timer(self) -> None:
        """The timed state is left: no timer trigger is current until the next one is armed."""
        self.armed_timer = None

    def timer_current(self, armed: int | None = None, *_: Any) -> bool:
        """A timer's trigger belongs to the state entry now running (not one left while it was queued)."""
        if armed is None or armed != self.armed_timer:
            log.info("a timer of a state entry that is over fired in %s: dropped", self.state)
            return False
        return True

    async def time_out_now(self) -> bool:
        """End the timed state now, as its timer would (a stopping daemon); False when nothing took it."""
        return await self.trigger("timeout", self.armed_timer)

    def timeout_seconds(self, state: str, base: float) -> float:
        """How long the timed `state` waits this visit: its `base`, stretched for large text; a stuck note's wait."""
        stuck = self.stuck_timeout(state, base)  # TroubleMixin
        if stuck is not None:
            return stuck
        if state in NOTE_TIMED:  # the device's limit, not the customer's
            return base
        return base * self.timeouts.large_text_factor if self.text_enlarged else base

    def toggle_large_text(self, *_: Any) -> None:
        """The accessibility key: large text and longer timeouts, or back; the running timer restarts."""
        self.text_enlarged = not self.text_enlarged
        state_obj = self.machine.get_state(self.state)
        if getattr(state_obj, "timeout", 0) and self.state not in NOTE_TIMED:
            state_obj.restart_timer(self)
            self.mark_deadline()

    # --- the result screen ---------------------------------------------------------------------
    def can_rate(self, rating: str = "", *_: Any) -> bool:
        """A payment is on screen and its customer has not rated it yet."""
        return rating in RATINGS and self.result is not None and self.rating is None

    def store_rating(self, rating: str, *_: Any) -> None:
        """Keep the customer's one rating with the payment (journal, then the batch)."""
        self.rating = rating
        txn = self.result.txn

        async def keep() -> None:
            await self.journal.rate_payment(txn, rating)

        self.spawn(keep(), "rating")

    def next_customer(self, digit: str = "", *_: Any) -> None:
        """A digit on the done screen: the last result goes, the new account starts with it."""
        self._reset_payment()
        self.end_visit()
        self.type_digit(digit)
