"""The model's side of the invoice choice (发票) on the result screen: asked once per payment."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from statemachine.ports import InvoiceDesk

log = logging.getLogger("kioskd.machine")

INVOICEABLE = ("credited", "pending")  # a refused (flagged) payment is for staff, not an invoice


class InvoiceMixin:
    """Mixed into KioskModel: the invoice key, the request in a task, what the screen shows of it."""

    # the host's (KioskModel): declared so the calls below are checked
    trigger: Callable[..., Awaitable[bool]]
    spawn: Callable[[Coroutine[Any, Any, Any], str], None]
    result: Any
    locale: str
    gen: int
    invoices: InvoiceDesk | None = None
    # {"state": requesting|issued|pending|refused, "number": ...}; not `invoice`: transitions puts
    # the trigger of that name on the model
    invoice_asked: dict[str, Any] | None = None

    def attach_invoices(self, desk: InvoiceDesk) -> None:
        """Give the model the invoice desk (the daemon does this once at start-up)."""
        self.invoices = desk

    def can_invoice(self, *_: Any) -> bool:
        """A payment that took cash is on screen and its invoice has not been asked for yet."""
        return (self.invoices is not None and self.result is not None
                and self.result.status in INVOICEABLE and self.invoice_asked is None)

    def request_invoice(self, *_: Any) -> None:
        """Ask for the invoice in a task; the slip prints whatever the screen shows by then."""
        result, locale, gen, desk = self.result, self.locale, self.gen, self.invoices
        assert result is not None and desk is not None
        self.invoice_asked = {"state": "requesting", "number": None}

        async def ask() -> None:
            state, number = await desk.request(result, locale)
            await self.trigger("invoice_answered", gen, state, number)

        self.spawn(ask(), "invoice")

    def store_invoice(self, gen: int, state: str, number: str | None, *_: Any) -> None:
        """What the backend answered (or that the request is kept and will be sent)."""
        self.invoice_asked = {"state": state, "number": number}
