"""Store-and-forward sender: oldest item first per kind, kept until a definite answer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from backend_api.fields import format_utc
from kioskd.system.clock import wall_now
from kioskd.uplink.answers import read_payment_answer, refusal_reason
from kioskd.uplink.client import BATCHES_PATH, PAYMENTS_PATH, Answer, BackendClient
from kioskd.uplink.errors import Unreachable

if TYPE_CHECKING:
    from kioskd.ledger import Ledger, OutboxItem

log = logging.getLogger(__name__)

KINDS = ("payment", "alert", "batch", "case", "invoice")
FlaggedHook = Callable[[str, str, str], None]  # (kind, key, reason): raise an alert for staff
CreditedHook = Callable[[str, int | None, str | None], None]  # (txn, balance, ref): a pending payment got credited
AcceptedHook = Callable[[str], None]  # (batch seq): the backend accepted this batch
BatchHandler = Callable[["OutboxItem", Answer], Awaitable[str | None]]
# a case's re-credit or void request: sends it, records a definite answer (None), else why to retry
CaseHandler = Callable[["OutboxItem"], Awaitable[str | None]]
ItemHandler = Callable[["OutboxItem"], Awaitable[str]]  # sends one item of its own kind: "done"/"retry"


def alert_body(
    alert_id: str, code: str, severity: str, state: str, at: str, detail: dict[str, Any] | None = None
) -> str:
    """The outbox body of an alert (key f"{alert_id}:{state}"); `ts` is added at each send."""
    return json.dumps(
        {"type": "alert", "id": alert_id, "code": code, "severity": severity, "state": state,
         "at": at, "detail": detail or {}},
        ensure_ascii=False, sort_keys=True,
    )


class OutboxSender:
    """Sends outbox items per kind in order; backoff with jitter while there is no definite answer."""

    def __init__(
        self,
        ledger: Ledger,
        client: BackendClient,
        *,
        on_flagged: FlaggedHook | None = None,
        on_credited: CreditedHook | None = None,
        batch_handler: BatchHandler | None = None,
        case_handler: CaseHandler | None = None,
        invoice_handler: ItemHandler | None = None,
        on_batch_accepted: AcceptedHook | None = None,
        first_backoff: float = 1.0,
        backoff_cap: float = 300.0,
        idle_poll: float = 60.0,
        now: Callable[[], datetime] = wall_now,
    ) -> None:
        self.ledger = ledger
        self.client = client
        self.on_flagged = on_flagged
        self.on_credited = on_credited
        # batches.py answers 409 gap/fork; without it a batch is kept and retried.
        self.batch_handler = batch_handler
        self.case_handler = case_handler  # kioskd.hall.cases: re-credits and voids
        self.invoice_handler = invoice_handler  # kioskd.uplink.invoices; without it invoices wait
        self.on_batch_accepted = on_batch_accepted  # clears the batch_refused alert
        self.first_backoff = first_backoff
        self.backoff_cap = backoff_cap
        self.idle_poll = idle_poll
        self.now = now
        self._wake = {kind: asyncio.Event() for kind in KINDS}
        # (lock, holders and waiters) per item while in use; forgotten after, or weeks of
        # payments would pile up one lock each (bench.soak)
        self._locks: dict[tuple[str, str], list[Any]] = {}

    def wake(self) -> None:
        """Try every kind's oldest item now, even before its backoff has run out."""
        for event in self._wake.values():
            event.set()

    @contextlib.asynccontextmanager
    async def lock(self, kind: str, key: str) -> AsyncIterator[None]:
        """Hold the item's lock (e.g. a payment being sent and settled)."""
        entry = self._locks.setdefault((kind, key), [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[(kind, key)]

    async def run(self) -> None:
        """Send forever, one task per kind so a stuck batch does not hold up payments."""
        async with asyncio.TaskGroup() as group:
            for kind in KINDS:
                group.create_task(self._run_kind(kind), name=f"outbox-{kind}")

    async def _run_kind(self, kind: str) -> None:
        while True:
            try:
                await self._step(kind)
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop boundary: log, pause, carry on
                log.exception("outbox %s: unexpected error; retrying", kind)
                await self._wait(kind, self.first_backoff)

    async def _step(self, kind: str) -> None:
        item = await self.ledger.outbox_next(kind)
        if item is None:
            await self._wait(kind, self.idle_poll)
            return
        # capped: a clock stepped back by hours must not hold an item back for hours
        delay = min(self.backoff_cap, (datetime.fromisoformat(item.next_try) - self.now()).total_seconds())
        if delay > 0 and not await self._wait(kind, delay):
            return  # its time has come: the next step fetches it again
        await self.send(item)

    async def _wait(self, kind: str, seconds: float) -> bool:
        """Wait up to `seconds`; True when woken by wake()."""
        event = self._wake[kind]
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            return False
        event.clear()
        return True

    async def send(self, item: OutboxItem) -> str:
        """Send one item now; returns "done" or "retry"."""
        try:
            if item.kind == "payment":
                return await self._send_payment(item)
            if item.kind == "alert":
                answer = await self.client.post_alert(json.loads(item.body))
                return await self._finish_alert(item, answer)
            if item.kind == "case":
                return await self._send_case(item)
            if item.kind == "invoice":
                if self.invoice_handler is None:
                    return await self.retry(item, "no invoice handler")
                return await self.invoice_handler(item)
            answer = await self.client.post_signed(BATCHES_PATH, item.body)
            return await self._finish_batch(item, answer)
        except Unreachable as err:
            return await self.retry(item, str(err))

    async def _send_case(self, item: OutboxItem) -> str:
        if self.case_handler is None:
            return await self.retry(item, "no case handler in this daemon")
        async with self.lock("case", item.key):
            why = await self.case_handler(item)
        return "done" if why is None else await self.retry(item, why)

    async def retry(self, item: OutboxItem, error: str) -> str:
        """Schedule the item again after an exponential backoff with jitter."""
        delay = min(self.backoff_cap, self.first_backoff * 2 ** min(item.tries, 30))
        delay *= random.uniform(0.5, 1.0)  # jitter: a hall of kiosks must not retry in lockstep
        next_try = format_utc(self.now() + timedelta(seconds=delay))
        log.info("outbox %s %s: %s; next try %s", item.kind, item.key, error, next_try)
        await self.ledger.outbox_retry(item.id, next_try, error)
        return "retry"

    async def done(self, item: OutboxItem, answer: Answer | str) -> str:
        """Mark the item answered (definitely); it is never sent again."""
        text = answer if isinstance(answer, str) else json.dumps(
            {"status": answer.status, "body": answer.body}, ensure_ascii=False, sort_keys=True
        )
        await self.ledger.outbox_done(item.id, text)
        return "done"

    def _flag(self, kind: str, key: str, reason: str) -> None:
        log.error("outbox %s %s flagged: %s", kind, key, reason)
        if self.on_flagged:
            self.on_flagged(kind, key, reason)

    async def _send_payment(self, item: OutboxItem) -> str:
        async with self.lock("payment", item.key):
            record = await self.ledger.transaction(item.key)
            if record is not None and record.state in ("credited", "flagged"):
                return await self.done(item, f"already {record.state}")
            answer = await self.client.post_signed(PAYMENTS_PATH, item.body)
            outcome = read_payment_answer(item.key, answer)
            if outcome.status == "credited":
                await self.ledger.settle(item.key, "credited", balance=outcome.balance,
                           ref=outcome.ref, reason=None)
                await self._log_end(item.key)
                await self.done(item, answer)
                if self.on_credited:
                    self.on_credited(item.key, outcome.balance, outcome.ref)
                self._wake["invoice"].set()  # an invoice request may have waited for this credit
                return "done"
            if outcome.status == "flagged":
                await self.ledger.settle(item.key, "flagged", balance=None, ref=None,
                           reason=outcome.reason)
                await self._log_end(item.key)
                await self.done(item, answer)
                self._flag("payment", item.key, outcome.reason or "")
                return "done"
            return await self.retry(item, outcome.reason or "no definite answer")

    async def _log_end(self, txn: str) -> None:
        """The INFO line of a pending payment's end (the backend answered at last)."""
        record = await self.ledger.transaction(txn)
        if record is not None:
            log.info("%s (from the outbox)", record.end_line())

    async def _finish_alert(self, item: OutboxItem, answer: Answer) -> str:
        if answer.status == 200:
            return await self.done(item, answer)
        if answer.status == 400:
            await self.done(item, answer)
            self._flag("alert", item.key, f"bad_request: {answer.body.get('detail', '')}")
            return "done"
        # 401 stale (our clock?) or anything else: re-signed with a fresh ts next time.
        return await self.retry(item, f"HTTP {answer.status} {answer.body}")

    async def _finish_batch(self, item: OutboxItem, answer: Answer) -> str:
        if answer.status == 200 and answer.body.get("status") == "accepted":
            await self.done(item, answer)
            if self.on_batch_accepted:
                self.on_batch_accepted(item.key)
            return "done"
        if answer.status == 400:
            # kept, never marked done: seqs have no gaps, so every later batch waits behind this
            # one; staff are told, and it goes again until the backend (upgraded) accepts it
            reason = refusal_reason(answer)
            self._flag("batch", item.key, reason)
            return await self.retry(item, f"refused: {reason}")
        if answer.status == 409 and self.batch_handler is not None:
            verdict = await self.batch_handler(item, answer)
            if verdict is not None:
                return verdict
        return await self.retry(item, f"HTTP {answer.status} {answer.body}")
