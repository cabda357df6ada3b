"""The model's side of a note in escrow: stack it (its intent journalled first) or hand it back.

The decision runs inside the transition into payment_cash_escrow, so the machine takes nothing
else (keys, the device's news, the escrow's own no-progress limit) until it is made: every wait
in it is bounded. The rules are local; the validator's commands are bounded by its driver's
reply timeouts; the journal's answer by `timeouts.note_progress`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from statemachine.ports import Journal
from statemachine.rules import Rules

log = logging.getLogger("kioskd.machine")


class EscrowMixin:
    """Mixed into KioskModel: payment_cash_escrow's decision."""

    # the host's (KioskModel and its mixins): declared so the calls below are checked
    state: str
    txn: str | None
    notes: list[int]
    message: str | None
    escrow_value: int | None
    stack_txn: str | None
    loose_note: int | None
    validator: Any
    journal: Journal
    rules: Rules
    timeouts: Any
    trigger: Callable[..., Awaitable[bool]]
    spawn: Callable[[Coroutine[Any, Any, Any], str], None]
    set_problem: Callable[[str, str | None], bool]
    max_more: Callable[[], int | None]
    note_progressed: Callable[[], None]

    def hold_escrow(self, value: int, *_: Any) -> None:
        """Remember the note in escrow."""
        self.escrow_value = self.loose_note = value
        self.message = None

    async def decide_escrow(self, *_: Any) -> None:
        """Stack the note in escrow, or return it when it would break a limit or cannot be journalled."""
        value = self.escrow_value or 0
        refusal = self._refusal(value)
        if refusal is None:
            refusal = await self._record_stack_intent(value)
        # decided: the no-progress limit judges the device from its command on (one that ran out
        # while the journal was slow, queued behind this transition, is dropped)
        self.note_progressed()
        if refusal is not None:
            self.message = refusal
            self.loose_note = None  # handed back by our decision
            await self.validator.return_note()
            await self.trigger("escrow_return")
            return
        self.stack_txn = self.txn
        await self.validator.stack()
        await self.trigger("escrow_stack")

    async def _record_stack_intent(self, value: int) -> str | None:
        """Journal the note about to be stacked; the refusal "journal" when it cannot be, in time."""
        txn = self.txn
        assert txn is not None
        try:
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation
            async with asyncio.timeout(self.timeouts.note_progress):
                await self.journal.stack_requested(txn, value)
        except TimeoutError:
            # the journal's thread is stuck (a dying card's fsync, a long call ahead): no STACK
            # without the intent, the note goes back. Should the write still land, the intent is
            # withdrawn after it (the journal runs calls in order), or it would name a note not there
            log.error("journal did not record the stack intent in %s s, returning the note", self.timeouts.note_progress)
            self.spawn(self.journal.withdraw_stack_intent(txn, value), "withdraw-stack-intent")
        except Exception as err:
            log.error("journal refused the stack intent, returning the note: %s", err)
        else:
            return None
        self.set_problem("storage", "storage")  # out of service once this payment ends
        return "journal"

    def refuse_escrow(self, value: int = 0, *_: Any) -> None:
        """A note escrowed outside the cash step goes back to the customer."""
        log.warning("note of %s fen escrowed in %s: returned", value, self.state)
        self.spawn(self.validator.return_note(), "return-note")

    def _refusal(self, value: int) -> str | None:
        if len(self.notes) >= self.rules.max_notes:
            return "max_notes"
        more = self.max_more()
        if more is None or value > more:
            return "note_returned_limit"
        return None
