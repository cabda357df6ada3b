"""SIGTERM with a customer at the kiosk: the note in flight settles and the payment ends first."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from drivers.base import BillValidator
from statemachine.model import KioskModel

log = logging.getLogger("kioskd")

SETTLE_SECONDS = 3.0  # after the inhibit: how long to wait for the validator to report a note
INHIBIT_SECONDS = 2.0  # stop: how long the validator may take to confirm the inhibit
# stop: how long a note still on the move after the inhibit may take to come to rest (read, then
# escrowed or handed back: a few seconds on a slow reader); a device stuck moving is left after it
STILL_SECONDS = 15.0


async def finish_payment_in_progress(validator: BillValidator, events: asyncio.Queue[Any],
                                     model: KioskModel, changed: asyncio.Event, grace: float) -> None:
    """Inhibit, let the note in flight reach the machine, then end the payment, within `grace` s."""
    try:
        async with asyncio.timeout(grace):
            await _inhibit_and_settle(validator, events)
            await _finish_payment(model, changed)
    except TimeoutError:
        # the journal keeps it: pending payments are resubmitted and receipts reprintable
        log.error("stop: payment %s not finished within %.0f s (state %s)",
                  model.txn, grace, model.state)


async def _inhibit_and_settle(validator: BillValidator, events: asyncio.Queue[Any]) -> None:
    try:
        await validator.set_accepting(False)
    except Exception as err:
        log.warning("could not inhibit the validator on stop: %s", err)
    # a note inserted just before the inhibit is reported by the next polls: wait for two polls
    # that started after it, and for one that finds no note on the move (a note still being
    # read reaches escrow, where the machine decides on it, or is handed back: never left in the
    # reader when the daemon exits), then for the pump to hand their events to the machine
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(STILL_SECONDS):
            await validator.settle(2, still=True)
    await events.join()


async def polls_after_now(validator: BillValidator, polls: int) -> None:
    """Wait (at most SETTLE_SECONDS) for `polls` validator polls that start from now."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(SETTLE_SECONDS):
            await validator.settle(polls)


async def _finish_payment(model: KioskModel, changed: asyncio.Event) -> None:
    """Wait until no payment is in progress; `changed` is set on each published state."""
    m = model
    timed_out: set[int | None] = set()
    while True:
        changed.clear()
        state = m.state
        if state == "payment_cash_waiting" or (state == "payment_help" and m.cash_unsubmitted()):
            if m.armed_timer not in timed_out:
                # as if the customer walked away: counted cash is submitted, none ends the
                # payment. Once per state entry: a trigger queued behind the pump's returns at
                # once and would repeat (and never yield) if sent again before the state moves;
                # queued behind a note going in, it is dropped with that entry, and the next
                # entry (the note landed) is timed out afresh
                timed_out.add(m.armed_timer)
                await m.time_out_now()
        elif not state.startswith(("payment_cash", "payment_submit", "payment_receipt")):
            return
        # a note on its way into the box, the backend call or the print: wait for the next
        # state (re-checked every half second in case a change came without a snapshot)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                await changed.wait()


async def inhibit_on_stop(validator: BillValidator) -> None:
    """Stop: inhibit the validator, waiting at most INHIBIT_SECONDS for it to confirm."""
    # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation
    try:
        async with asyncio.timeout(INHIBIT_SECONDS):
            await validator.set_accepting(False)
    except Exception as err:
        log.warning("could not inhibit the validator on stop: %s", err)
