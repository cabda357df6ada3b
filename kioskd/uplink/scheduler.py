"""When batches go out: every 15 minutes with records, after custody and at the daily close."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from kioskd.uplink.batches import MAX_RECORDS, BatchBuilder

if TYPE_CHECKING:
    from collections.abc import Callable

    from kioskd.ledger import Ledger

log = logging.getLogger("kioskd.batches")

INTERVAL = 15 * 60.0  # spec: at least every 15 minutes when there are records


class BatchScheduler:
    """Gathers what happened since the last batch and queues it as signed batches."""

    def __init__(self, ledger: Ledger, builder: BatchBuilder, *, wake_sender: Callable[[], None] | None = None,
                 interval: float = INTERVAL) -> None:
        self.ledger, self.builder, self.interval = ledger, builder, interval
        self.wake_sender = wake_sender
        self._now = asyncio.Event()
        self._lock = asyncio.Lock()

    def flush_soon(self, why: str) -> None:
        """Send a batch now (after a custody session, at the daily close)."""
        log.info("batch requested: %s", why)
        self._now.set()

    async def run(self) -> None:
        """Queue a batch every interval (or when asked) while there are records."""
        while True:
            try:
                async with asyncio.timeout(self.interval):
                    await self._now.wait()
            except TimeoutError:
                pass
            self._now.clear()
            await self.flush()

    async def flush(self) -> list[int]:
        """Queue every record not yet batched; returns the batch seqs queued."""
        async with self._lock:
            cursors = await self.ledger.batch_cursors()
            payments = await self.ledger.batch_payments(cursors["batched_payment_seq"], MAX_RECORDS)
            audit = await self.ledger.audit_entries(cursors["batched_audit_seq"], MAX_RECORDS)
            alerts = await self.ledger.batch_alerts(cursors["batched_alert_id"], MAX_RECORDS)
            ratings = await self.ledger.batch_ratings(cursors["batched_rating_id"], MAX_RECORDS)
            steps = await self.ledger.batch_case_steps(cursors["batched_case_step_id"], MAX_RECORDS)
            invoices = await self.ledger.batch_invoices(cursors["batched_invoice_id"], MAX_RECORDS)
            registers = await self.ledger.registers.records_after(cursors["batched_register_id"], MAX_RECORDS)
            doubts = await self.ledger.doubts.batch_records(cursors["batched_doubt_entry"], MAX_RECORDS)
            records = payments + audit + alerts + ratings + steps + invoices + registers + doubts
            if not records:
                return []
            batched = await self.ledger.audit_entry_head(cursors["batched_audit_seq"])
            seqs = await self.builder.add(records, batched)
            await self.ledger.set_batch_cursors({
                "batched_payment_seq": payments[-1]["seq"] if payments else cursors["batched_payment_seq"],
                "batched_audit_seq": audit[-1]["seq"] if audit else cursors["batched_audit_seq"],
                "batched_alert_id": alerts[-1]["outbox_id"] if alerts else cursors["batched_alert_id"],
                "batched_rating_id": ratings[-1]["id"] if ratings else cursors["batched_rating_id"],
                "batched_case_step_id": steps[-1]["id"] if steps else cursors["batched_case_step_id"],
                "batched_invoice_id": invoices[-1]["id"] if invoices else cursors["batched_invoice_id"],
                "batched_register_id": registers[-1]["id"] if registers else cursors["batched_register_id"],
                "batched_doubt_entry": doubts[-1]["entry"] if doubts else cursors["batched_doubt_entry"],
            })
            log.info("batch %s queued: %d payments, %d audit entries, %d alerts, %d ratings, %d case steps",
                     ", ".join(map(str, seqs)), len(payments), len(audit), len(alerts), len(ratings), len(steps))
            if self.wake_sender is not None:
                self.wake_sender()
            return seqs
