"""The invoice desk: the customer's invoice request (kioskd.uplink.invoices), then its printed slip.

The slip says what became of the request: the invoice number and a QR code that fetches it;
or that it was asked for and will be issued (the QR code then opens the receipt page, which
shows the invoice once issued); or that it could not be issued and staff will help.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.receipt_proof import make_proof, receipt_link
from kioskd.customer.receipts.layout import RULE, format_money, render_lines, send_when_ready
from kioskd.uplink.invoices import InvoiceOutcome, Invoices
from statemachine.ports import PaymentResult

if TYPE_CHECKING:
    from drivers.base import ReceiptPrinter
    from kioskd.config import Config

log = logging.getLogger(__name__)

_TEXT = {
    "zh-CN": {"title": "电子发票", "seq": "流水号: {0}", "account": "户号: {0}", "amount": "金额: {0}",
              "number": "发票号码: {0}", "scan": "扫码获取电子发票",
              "pending": "发票申请已提交，开具后扫码查看", "pending_staff": "发票申请已提交，请凭流水号 {0} 向工作人员查询",
              "refused": "发票未能开具，请联系工作人员"},
    "en": {"title": "E-INVOICE", "seq": "Serial no.: {0}", "account": "Account: {0}", "amount": "Amount: {0}",
           "number": "Invoice no.: {0}", "scan": "Scan for your electronic invoice",
           "pending": "Invoice requested; scan to see it once issued",
           "pending_staff": "Invoice requested; ask the staff with serial no. {0}",
           "refused": "The invoice could not be issued; please ask the staff"},
}


def slip_lines(result: PaymentResult, outcome: InvoiceOutcome, *, hall: str, locale: str,
               has_link: bool) -> list[str]:
    """The slip's text lines (the QR code follows them)."""
    t = _TEXT[locale]
    lines = [hall, t["title"], RULE, t["seq"].format(result.seq), t["account"].format(result.account),
             t["amount"].format(format_money(result.amount, locale=locale)), RULE]
    if outcome.state == "issued":
        lines += [t["number"].format(outcome.number), t["scan"]]
    elif outcome.state == "pending":
        lines.append(t["pending"] if has_link else t["pending_staff"].format(result.seq))
    else:
        lines.append(t["refused"])
    return lines


class InvoiceDesk:
    """statemachine.ports.InvoiceDesk: request the invoice, print its slip."""

    def __init__(self, invoices: Invoices, printer: ReceiptPrinter, config: Config, key: Ed25519PrivateKey) -> None:
        self.invoices, self.printer, self.config, self.key = invoices, printer, config, key

    async def request(self, result: PaymentResult, locale: str) -> tuple[str, str | None]:
        """Ask for the invoice of `result`'s payment and print the slip; (state, number)."""
        outcome = await self.invoices.request(result.txn)
        if self.config.printer.encoding == "ascii":
            locale = "en"
        link = ""
        if outcome.state == "issued":
            link = outcome.url or ""
        elif outcome.state == "pending" and self.config.backend.receipt_url:
            proof = make_proof(self.key, kiosk=self.config.kiosk.id, txn=result.txn, seq=result.seq,
                               amount=result.amount, at=await self._paid_at(result.txn))
            link = receipt_link(self.config.backend.receipt_url, proof)
        lines = slip_lines(result, outcome, hall=self.config.kiosk.name, locale=locale,
                           has_link=bool(link))
        job = render_lines(lines, encoding=self.config.printer.encoding, qr=link)
        if not await send_when_ready(self.printer, job, f"invoice slip {result.txn}"):
            log.warning("invoice slip of %s not printed (%s)", result.txn, outcome.state)
        return outcome.state, outcome.number

    async def _paid_at(self, txn: str) -> datetime:
        # the receipt's own time: its proof must be the one printed on the receipt
        record = await self.invoices.ledger.transaction(txn)
        text = record.ended or record.started if record is not None else None
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else datetime.now(UTC)
