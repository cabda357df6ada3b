"""Copies of receipts (补打 DUPLICATE n): for staff by kioskctl, and once per payment for the customer.

Every copy is numbered per payment (the count survives restarts in reprints.json), printed with
its number, and recorded in the audit chain with who asked for it. A customer at the kiosk may
reprint each of their payments of the last 24 hours once (journal table self_reprints); anything
else goes to staff.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from backend_api.fields import format_utc
from drivers.statefile import read_json as read_json_file
from drivers.statefile import write_json as write_json_file
from kioskd.customer.receipts.layout import print_receipt
from kioskd.customer.receipts.printing import RECEIPT_STATUS, Receipts, receipt_data
from kioskd.system.clock import local_text, wall_now
from statemachine.ports import ReprintChoice

if TYPE_CHECKING:
    from kioskd.ledger import TxnRecord

log = logging.getLogger(__name__)

SELF_REPRINT_WINDOW = timedelta(hours=24)
MAX_CHOICES = 5  # the newest payments offered; digits 1-5 choose one
RECEIPTED = ("credited", "pending", "flagged")  # a payment that has had its receipt


class Duplicates:
    """Numbered, audited copies of payment receipts."""

    def __init__(self, receipts: Receipts, state_dir: Path) -> None:
        self.receipts = receipts
        self.counts_file = state_dir / "reprints.json"
        self._lock = asyncio.Lock()

    async def print_copy(self, record: TxnRecord, who: dict[str, str], locale: str | None = None,
                         ) -> tuple[int, int] | None:
        """Print copy n of `record`'s receipt; (n, audit seq), or None when the printer could not.

        `who` are the audit fields of whoever asked (a staff member's, or {"by": "customer"}).
        """
        r = self.receipts
        c = r.config
        async with self._lock:
            counts = (await asyncio.to_thread(read_json_file, self.counts_file)) or {}
            n = int(counts.get(record.id, 0)) + 1
            ok = await print_receipt(r.printer, receipt_data(c, record, duplicate=n), locale=locale or c.kiosk.locale,
                                     encoding=c.printer.encoding, key=r.key, tz=c.kiosk.tz)
            if not ok:
                return None
            counts[record.id] = n
            await asyncio.to_thread(write_json_file, self.counts_file, counts)
            seq, _ = await r.ledger.audit_append(
                "reprint", {"txn": record.id, "seq": record.seq, "duplicate": n, **who})
            if record.reprint_wanted:
                await r.ledger.mark_reprint(record.id, False)
        return n, seq

    async def recent_payments(self, account: str) -> list[ReprintChoice]:
        """The account's payments of the last 24 hours, newest first, that a customer may reprint."""
        ledger, tz = self.receipts.ledger, self.receipts.config.kiosk.tz
        since = format_utc(wall_now() - SELF_REPRINT_WINDOW)
        records = [r for r in await ledger.transactions(account=account, since=since, states=RECEIPTED)]
        newest = sorted(records, key=lambda r: r.started, reverse=True)[:MAX_CHOICES]
        used = await ledger.self_reprinted([r.id for r in newest])
        return [
            ReprintChoice(txn=r.id, seq=r.seq or 0, amount=r.amount, status=RECEIPT_STATUS[r.state],
                          local_time=local_text(r.ended or r.started, tz, "%m-%d %H:%M"), used=r.id in used)
            for r in newest
        ]

    async def for_customer(self, txn: str, locale: str) -> str:
        """The customer's one copy of payment `txn`: printed, already (used before), refused or failed."""
        ledger = self.receipts.ledger
        record = await ledger.transaction(txn)
        since = format_utc(wall_now() - SELF_REPRINT_WINDOW)
        if record is None or record.state not in RECEIPTED or record.started < since:
            return "refused"  # not one the list offered: staff decide
        if await ledger.self_reprinted([txn]):
            return "already"
        if await self.print_copy(record, {"by": "customer"}, locale) is None:
            return "failed"  # not used up: the customer may try again, or ask the staff
        await ledger.mark_self_reprint(txn)
        return "printed"

