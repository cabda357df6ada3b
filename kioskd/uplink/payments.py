"""statemachine.ports.Payments over the backend: look-ups and idempotent payment submission."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar, cast

from kioskd.ledger import StorageError
from kioskd.system.clock import wall_now
from kioskd.uplink.answers import PaymentOutcome, read_payment_answer
from kioskd.uplink.client import PAYMENTS_PATH, BackendClient, post_until_definite
from kioskd.uplink.errors import UplinkError
from kioskd.uplink.outbox import FlaggedHook, OutboxSender
from statemachine.ports import AccountInfo, PaymentResult, PaymentStatus

if TYPE_CHECKING:
    from kioskd.ledger import Ledger, TxnRecord

log = logging.getLogger(__name__)
T = TypeVar("T")


def payment_result(record: TxnRecord | None) -> PaymentResult:
    """The PaymentResult of a settled ledger TxnRecord (credited, pending or flagged)."""
    if record is None:
        raise RuntimeError("the payment just submitted is not in the journal")
    return PaymentResult(
        txn=record.id,
        seq=record.number,
        account=record.account,
        amount=record.amount,
        notes=tuple(note.value for note in record.notes),
        status=cast(PaymentStatus, record.state),  # settled: one of the three
        balance=record.balance,
        ref=record.ref,
        reason=record.reason,
    )


class UplinkPayments:
    """Look-ups and payment submission; a payment without a definite answer goes to the outbox."""

    def __init__(
        self,
        ledger: Ledger,
        client: BackendClient,
        *,
        submit_timeout: float = 10.0,
        journal_timeout: float = 30.0,
        now: Callable[[], datetime] = wall_now,
        outbox: OutboxSender | None = None,
        on_flagged: FlaggedHook | None = None,
        on_refused: Callable[[Exception], None] = lambda err: None,
    ) -> None:
        self.ledger = ledger
        self.client = client
        self.submit_timeout = submit_timeout
        # how long a journal write may take before it counts as refused (the machine's bound on the
        # journal's answer, timeouts.note_progress): the customer is not kept waiting on a stuck one
        self.journal_timeout = journal_timeout
        self.now = now
        # Sharing the sender's per-key locks keeps it from sending the same txn concurrently.
        self.outbox = outbox
        self.on_flagged = on_flagged
        self.on_refused = on_refused  # the journal refused a write (disk full, read-only)
        self._locks: dict[str, asyncio.Lock] = {}

    async def lookup(self, account: str) -> AccountInfo:
        """Look an account up at the backend; raise statemachine.ports.LookupFailed."""
        return await self.client.lookup(account)

    async def submit(self, txn: str) -> PaymentResult:
        """Submit a closed payment with its stored JWS; credited only on the backend's 200."""
        lock = self.outbox.lock("payment", txn) if self.outbox else self._locks.setdefault(txn, asyncio.Lock())
        async with lock:
            record = await self.ledger.transaction(txn)
            if record is None:
                raise UplinkError(f"submit: no transaction {txn} in the journal")
            if record.state in ("credited", "flagged"):
                return payment_result(record)
            if record.state == "open":  # the journal could not close it: the notes are in it
                return replace(payment_result(record), status="pending")
            try:
                jws = record.payload or await self._sign_and_store(txn)
                outcome = await self._send_within_deadline(txn, jws)
                await self._journal(self._settle(txn, jws, outcome))
                record = await self._journal(self.ledger.transaction(txn))
            except StorageError as err:
                # told pending, the truth: the notes are journalled; it is settled once the
                # journal takes writes again (StorageWatch resubmits it)
                log.error("payment %s: the journal refused its settlement: %s", txn, err)
                self.on_refused(err)
                return replace(payment_result(record), status="pending")
            if record is not None:
                log.info("%s", record.end_line())
        if outcome.status == "unknown" and self.outbox:
            self.outbox.wake()
        return payment_result(record)

    async def _sign_and_store(self, txn: str) -> str:
        # Built once and stored: every retry sends these exact bytes (the idempotency key).
        payload = await self._journal(self.ledger.payment_payload(txn))
        jws = self.client.sign(payload)
        await self._journal(self.ledger.set_payload(txn, jws))
        return jws

    async def _journal(self, call: Awaitable[T]) -> T:
        """A journal call that does not answer in journal_timeout (its thread stuck on a write) is refused."""
        try:
            async with asyncio.timeout(self.journal_timeout):
                return await call
        except TimeoutError as err:
            # the write, if it runs later, is one the resubmission finds done (each is idempotent)
            raise StorageError(f"the journal did not answer in {self.journal_timeout} s") from err

    async def _send_within_deadline(self, txn: str, jws: str) -> PaymentOutcome:
        outcome = await post_until_definite(
            self.client, PAYMENTS_PATH, jws, lambda answer: read_payment_answer(txn, answer),
            lambda reason: PaymentOutcome("unknown", reason=reason), self.submit_timeout)
        if outcome.status == "unknown":
            log.warning("payment %s: no definite answer (%s); kept pending", txn, outcome.reason)
        return outcome

    async def _settle(self, txn: str, jws: str, outcome: PaymentOutcome) -> None:
        if outcome.status == "credited":
            await self.ledger.settle(txn, "credited", balance=outcome.balance, ref=outcome.ref, reason=None)
        elif outcome.status == "flagged":
            log.error("payment %s flagged: %s", txn, outcome.reason)
            await self.ledger.settle(txn, "flagged", balance=None, ref=None, reason=outcome.reason)
            if self.on_flagged:
                self.on_flagged("payment", txn, outcome.reason or "")
        else:
            # pending first: should we crash before the put, recovery resubmits pending txns.
            await self.ledger.settle(txn, "pending", balance=None, ref=None, reason=None)
            await self.ledger.outbox_put("payment", txn, jws)
