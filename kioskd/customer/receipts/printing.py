"""The machine's receipt service: journal record -> receipt -> printer; failures kept for reprint."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from drivers.base import ReceiptPrinter
from kioskd.config import Config
from kioskd.customer.receipts.layout import ReceiptData, ReceiptStatus, print_receipt
from kioskd.system.clock import wall_now
from statemachine.ports import PaymentResult, StuckNote

if TYPE_CHECKING:
    from kioskd.ledger import Ledger, TxnRecord

log = logging.getLogger("kioskd.customer.receipts.layout")


def parse_utc(text: str | None) -> datetime:
    """An RFC 3339 UTC time from the journal (now when missing)."""
    if not text:
        return wall_now()
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# what a receipt says of a payment in each journal state (any other: pending)
RECEIPT_STATUS: dict[str, ReceiptStatus] = {"credited": "credited", "pending": "pending", "flagged": "flagged"}


def receipt_data(config: Config, record: TxnRecord, duplicate: int = 0) -> ReceiptData:
    """What a receipt says about a journal transaction."""
    return ReceiptData(
        hall=config.kiosk.name, kiosk=config.kiosk.id, seq=record.number, txn=record.id,
        time=parse_utc(record.ended or record.started), account=record.account,
        holder=record.holder, notes=tuple(n.value for n in record.notes), total=record.amount,
        status=RECEIPT_STATUS.get(record.state, "pending"),
        balance=record.balance, ref=record.ref, duplicate=duplicate,
        currency=config.kiosk.currency, hall_en=config.kiosk.name_en, hotline=config.kiosk.hotline,
        link=config.backend.receipt_url,
    )


class Receipts:
    """Prints payment receipts; a receipt that did not come out is marked for reprint."""

    def __init__(self, config: Config, ledger: Ledger, printer: ReceiptPrinter, key: Ed25519PrivateKey) -> None:
        self.config, self.ledger, self.printer, self.key = config, ledger, printer, key
        self.last_lines: list[str] = []

    async def print_payment(self, result: PaymentResult, locale: str, stuck: StuckNote | None = None) -> bool:
        """Print the receipt for a settled payment, with what became of a stuck note; False when it did not print."""
        record = await self.ledger.transaction(result.txn)
        if record is None:
            log.error("no journal record for %s: no receipt", result.txn)
            return False
        data = replace(receipt_data(self.config, record), stuck=stuck)
        ok = await print_receipt(
            self.printer, data, locale=locale, encoding=self.config.printer.encoding,
            key=self.key, tz=self.config.kiosk.tz,
        )
        if not ok:
            log.warning("receipt for payment %s (seq %s) not printed; kept for reprint", record.id, record.seq)
            await self.ledger.mark_reprint(record.id, True)
        return ok
