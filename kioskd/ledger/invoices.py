"""Invoice requests (发票): one per payment that took cash, what the backend answered, kept for the batch."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kioskd.ledger.audit import AuditStore
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import utc_now

FINAL = ("issued", "refused")


class InvoiceStore:
    """Invoice requests on one sqlite-utils Database (table `invoices`, schema migration 6)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def request(self, txn: str) -> dict[str, Any]:
        """The invoice request of payment `txn`, made now (with its audit entry) or the one made before."""
        with self.db.atomic():
            found = self.get(txn)
            if found is not None:
                return found
            payment = next(iter(self.db.query("SELECT seq, amount FROM txns WHERE id = ?", (txn,))), None)
            if payment is None or payment["seq"] is None:
                raise LedgerError(f"no payment {txn} that took cash to invoice")
            at = utc_now()
            self.db.execute("INSERT INTO invoices (txn, requested, state) VALUES (?, ?, 'requested')", (txn, at))
            # in the same transaction: the request and its chain entry commit together
            AuditStore(self.db).append("invoice_requested",
                                       {"txn": txn, "seq": payment["seq"], "amount": payment["amount"]})
        found = self.get(txn)
        assert found is not None
        return found

    def get(self, txn: str) -> dict[str, Any] | None:
        """The invoice request of a payment, joined with the payment's seq, account and amount."""
        return next(iter(self.db.query(
            "SELECT i.id, i.txn, i.requested, i.state, i.number, i.url, i.reason, t.seq, t.account, t.amount,"
            " t.currency, t.state AS payment_state FROM invoices i JOIN txns t ON t.id = i.txn WHERE i.txn = ?",
            (txn,))), None)

    def settle(self, txn: str, state: str, *, number: str | None = None, url: str | None = None,
               reason: str | None = None) -> None:
        """The backend's definite answer: issued (number, url) or refused (reason); the first one stays."""
        if state not in FINAL:
            raise LedgerError(f"invoice state must be one of {FINAL}, not {state!r}")
        with self.db.atomic():
            self.db.execute(
                "UPDATE invoices SET state = ?, number = ?, url = ?, reason = ?, answered = ?"
                " WHERE txn = ? AND state = 'requested'", (state, number, url, reason, utc_now(), txn))

    def after(self, invoice_id: int, limit: int) -> list[dict[str, Any]]:
        """Batch records of the answered invoice requests after `invoice_id`, in order; a request
        still waiting for its answer holds the later ones back."""
        out = []
        for r in self.db.query(
                "SELECT i.id, i.txn, t.seq, t.amount, i.requested, i.state, i.number FROM invoices i"
                " JOIN txns t ON t.id = i.txn WHERE i.id > ? ORDER BY i.id LIMIT ?", (invoice_id, limit)):
            if r["state"] not in FINAL:
                break
            out.append({"kind": "invoice", "id": r["id"], "txn": r["txn"], "seq": r["seq"], "amount": r["amount"],
                        "requested": r["requested"], "status": r["state"], "number": r["number"]})
        return out
