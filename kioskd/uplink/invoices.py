"""Electronic invoices (发票): the customer's request, signed once, sent now or kept in the outbox.

docs/spec/backend-api.md, POST /v1/invoices. A request waits for its payment to be credited;
the outbox (kind "invoice", key txn) keeps it across restarts and retries it like a payment.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kioskd.uplink.client import Answer, BackendClient
from kioskd.uplink.errors import Unreachable

if TYPE_CHECKING:
    from kioskd.ledger import Ledger, OutboxItem
    from kioskd.uplink.outbox import FlaggedHook, OutboxSender

log = logging.getLogger(__name__)

INVOICES_PATH = "v1/invoices"


@dataclass(frozen=True)
class InvoiceOutcome:
    """What became of a request: issued (number, url), pending (kept, retried) or refused (staff)."""

    state: str  # "issued", "pending" or "refused"
    number: str | None = None
    url: str | None = None
    reason: str | None = None


def read_invoice_answer(txn: str, answer: Answer) -> InvoiceOutcome:
    """Classify one answer to POST /v1/invoices."""
    body = answer.body
    if answer.status == 200:
        if body.get("txn") == txn and body.get("status") == "issued" and isinstance(body.get("number"), str) \
                and isinstance(body.get("url"), str):
            return InvoiceOutcome("issued", number=body["number"], url=body["url"])
        return InvoiceOutcome("pending", reason=f"unreadable 200 answer: {body}")
    if answer.status == 409 and answer.error == "payment_unknown":
        return InvoiceOutcome("pending", reason="the backend has not got the payment yet")
    if answer.status in (400, 409, 422):
        return InvoiceOutcome("refused", reason=f"{answer.error}: {body.get('reason') or body.get('detail') or ''}")
    return InvoiceOutcome("pending", reason=f"HTTP {answer.status} {body}")


class Invoices:
    """Requests, sends and settles invoices; the outbox's handler for kind "invoice"."""

    def __init__(self, ledger: Ledger, client: BackendClient, *, timeout: float = 10.0,
                 on_flagged: FlaggedHook | None = None) -> None:
        self.ledger, self.client, self.timeout, self.on_flagged = ledger, client, timeout, on_flagged
        self.outbox: OutboxSender | None = None  # set by the daemon once the sender exists

    async def request(self, txn: str) -> InvoiceOutcome:
        """The customer asked: record it, sign it once, send it now when the payment is credited."""
        row = await self.ledger.request_invoice(txn)
        if row["state"] != "requested":
            return _outcome(row)
        item = await self.ledger.outbox_item("invoice", txn)
        if item is None:
            payload = {"type": "invoice", "kiosk": self.client.kiosk_id, "txn": txn, "seq": row["seq"],
                       "account": row["account"], "amount": row["amount"], "currency": row["currency"],
                       "requested": row["requested"]}
            await self.ledger.outbox_put("invoice", txn, self.client.sign(payload))
            item = await self.ledger.outbox_item("invoice", txn)
        assert item is not None
        if row["payment_state"] == "credited":
            try:
                async with asyncio.timeout(self.timeout):
                    await self.send(item)
            except TimeoutError:
                log.warning("invoice %s: no answer within %.0f s; kept", txn, self.timeout)
        elif self.outbox is not None:
            self.outbox.wake()
        found = await self.ledger.invoice(txn)
        assert found is not None
        return _outcome(found)

    async def send(self, item: OutboxItem) -> str:
        """Send one request (the outbox calls this too); "done" or "retry"."""
        txn = item.key
        row = await self.ledger.invoice(txn)
        if row is None or row["state"] != "requested":
            return await self._done(item, "already answered")
        if row["payment_state"] == "flagged":
            await self.ledger.settle_invoice(txn, "refused", reason="payment_refused")
            return await self._done(item, "the payment was refused: no invoice")
        if row["payment_state"] != "credited":
            return await self._retry(item, "waiting for the payment to be credited")
        try:
            answer = await self.client.post_signed(INVOICES_PATH, item.body)
        except Unreachable as err:
            return await self._retry(item, str(err))
        outcome = read_invoice_answer(txn, answer)
        if outcome.state == "pending":
            return await self._retry(item, outcome.reason or "no definite answer")
        await self.ledger.settle_invoice(txn, outcome.state, number=outcome.number, url=outcome.url,
                                         reason=outcome.reason)
        if outcome.state == "refused":
            log.error("invoice %s refused: %s", txn, outcome.reason)
            if self.on_flagged:
                self.on_flagged("invoice", txn, outcome.reason or "")
        else:
            log.info("invoice %s issued: %s", txn, outcome.number)
        return await self._done(item, answer)

    async def _done(self, item: OutboxItem, answer: Answer | str) -> str:
        if self.outbox is not None:
            return await self.outbox.done(item, answer)
        await self.ledger.outbox_done(item.id, answer if isinstance(answer, str) else str(answer.body))
        return "done"

    async def _retry(self, item: OutboxItem, error: str) -> str:
        if self.outbox is not None:
            return await self.outbox.retry(item, error)
        log.info("invoice %s: %s", item.key, error)
        return "retry"


def _outcome(row: dict[str, Any]) -> InvoiceOutcome:
    state = {"requested": "pending"}.get(row["state"], row["state"])
    return InvoiceOutcome(state, number=row["number"], url=row["url"], reason=row["reason"])
