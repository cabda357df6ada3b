"""The model's side of the end of a payment: submit to the backend, keep its answer, print the receipt."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from statemachine.ports import Journal, PaymentResult, Payments, ReceiptService, StuckNote
from statemachine.reasons import payment_reason

log = logging.getLogger("kioskd.machine")


class ResultMixin:
    """Mixed into KioskModel: payment_submit and payment_receipt."""

    txn: str | None
    gen: int
    notes: list[int]
    seq: int | None
    info: Any
    timeouts: Any
    locale: str
    message: str | None
    submit_started: bool
    result: PaymentResult | None
    receipt: str | None
    help_reason: str | None
    help_detail: str | None
    journal: Journal
    payments: Payments
    receipts: ReceiptService
    trigger: Callable[..., Awaitable[bool]]
    spawn: Callable[[Coroutine[Any, Any, Any], str], None]
    set_problem: Callable[[str, str | None], bool]
    stuck_note: Callable[[], StuckNote | None]

    def start_submit(self, *_: Any) -> None:
        """Close the cash session and submit it to the backend, in a task."""
        assert self.txn is not None
        self.submit_started, txn, gen = True, self.txn, self.gen
        self.message = None

        async def submit() -> None:
            try:
                # bounded as the escrow's stack intent is: a journal thread stuck on a write (a dying
                # card's fsync) must not keep the customer on this screen, with no countdown, for ever
                async with asyncio.timeout(self.timeouts.note_progress):
                    await self.journal.close_payment(txn)
            except TimeoutError:
                log.error("journal did not close payment %s in %s s: told pending", txn, self.timeouts.note_progress)
                self.set_problem("storage", "storage")  # out of service once this payment ends
                # no submit now: it reads the journal, queued behind the stuck write. The close (run
                # late, or skipped if it never started) and the one submit are the storage watch's:
                # its recovery closes what is open and submits each closed payment once
                await self.trigger("submitted", gen, self._pending_result(txn))
                return
            except Exception as err:  # disk full, read-only: the notes are journalled already
                log.error("payment %s could not be closed (%s): told pending", txn, err)
                self.set_problem("storage", "storage")  # out of service once this payment ends
            result = await self.payments.submit(txn)
            await self.trigger("submitted", gen, result)

        self.spawn(submit(), "submit")

    def _pending_result(self, txn: str) -> PaymentResult:
        """The payment as the journal holds it (its notes are credited there), told pending."""
        assert self.seq is not None and self.info is not None  # a payment that took cash
        return PaymentResult(txn=txn, seq=self.seq, account=self.info.account, amount=sum(self.notes),
                             notes=tuple(self.notes), status="pending")

    def store_result(self, gen: int, result: PaymentResult, *_: Any) -> None:
        """Keep what the backend answered, to tell the customer the truth."""
        self.result = result
        if result.status == "flagged":
            self.help_reason = "flagged"
            self.help_detail = payment_reason(result.status, result.reason)

    def start_receipt(self, *_: Any) -> None:
        """Print the receipt in a task."""
        result, locale, gen, stuck = self.result, self.locale, self.gen, self.stuck_note()
        assert result is not None
        self.receipt = "printing"

        async def print_receipt() -> None:
            ok = await self.receipts.print_payment(result, locale, stuck)
            await self.trigger("printed", gen, ok)

        self.spawn(print_receipt(), "receipt")

    def is_flagged(self, *_: Any) -> bool:
        """The backend refused the payment: staff must act."""
        return self.result is not None and self.result.status == "flagged"

    def store_print(self, gen: int = -1, ok: bool = False, *_: Any) -> None:
        """Say whether the receipt came out."""
        self.receipt = "printed" if ok else "failed"

    def receipt_timed_out(self, *_: Any) -> None:
        """The printer did not finish in time; the receipt is kept for reprint."""
        self.receipt = "failed"

