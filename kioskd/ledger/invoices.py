"""Invoice requests (发票): one per payment that took cash, what the backend answered, kept for the batch.

What the kiosk promised the customer for their cash (the request) and what it printed for them
(the number) are money facts: each row is written with its chain entry (chain.record), and
`check_invoices` (integrity.TABLE_CHECKS) holds the table to those entries.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from kioskd.ledger import chain
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import AuditProblem, utc_now
from kioskd.ledger.tablecheck import entries, first_difference, loads

FINAL = ("issued", "refused")
REQUESTED = "invoice_requested"  # {txn, seq, amount}: the payment's seq and amount
SETTLED = "invoice_settled"  # {txn, state, number, url, reason, answered}: the backend's definite answer


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
            chain.record(self.db, REQUESTED, {"txn": txn, "seq": payment["seq"], "amount": payment["amount"]})
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
        answered = utc_now()
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE invoices SET state = ?, number = ?, url = ?, reason = ?, answered = ?"
                " WHERE txn = ? AND state = 'requested'", (state, number, url, reason, answered, txn))
            if cursor.rowcount:
                chain.record(self.db, SETTLED, {"txn": txn, "state": state, "number": number, "url": url,
                                                "reason": reason, "answered": answered})

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


def check_invoices(conn: sqlite3.Connection) -> AuditProblem | None:
    """Every invoice row is its request entry (the payment's seq and amount) and, once answered,
    its answer's entry; one to one."""
    rows = {r[0]: r[1:] for r in conn.execute(
        "SELECT i.txn, t.seq, t.amount, i.state, i.number, i.url, i.reason, i.answered"
        " FROM invoices i JOIN txns t ON t.id = i.txn")}
    requested: set[str] = set()
    for seq, kind, data in entries(conn, REQUESTED, SETTLED):
        d = loads(data)
        row = rows.get(d.get("txn"))
        if row is None:
            return AuditProblem(seq, f"entry {seq}: the invoice of payment {d.get('txn')} is missing",
                                "invoice_missing", {"seq": seq, "txn": d.get("txn")})
        pay_seq, amount, state, number, url, reason, answered = row
        if kind == REQUESTED:
            if d.get("txn") in requested:
                return AuditProblem(seq, f"entry {seq}: the invoice of payment {d.get('txn')} requested twice",
                                    "invoice_twice", {"seq": seq, "txn": d.get("txn")})
            table = {"txn": d.get("txn"), "seq": pay_seq, "amount": amount}
            requested.add(d.get("txn", ""))
        else:
            table = {"txn": d.get("txn"), "state": state, "number": number, "url": url, "reason": reason,
                     "answered": answered}
            rows.pop(d.get("txn"))  # answered once: a second answer finds no row
        field = first_difference(d, table)
        if field is not None:
            return AuditProblem(seq, f"entry {seq}: the invoice of payment {d.get('txn')} differs ({field})",
                                "invoice_differs", {"seq": seq, "txn": d.get("txn"), "field": field})
    for txn, row in rows.items():
        if txn not in requested or row[2] != "requested":
            return AuditProblem(0, f"the invoice of payment {txn} ({row[2]}) has no chain entry for it",
                                "invoice_unchained", {"txn": txn})
    return None


CHECKS = (check_invoices,)
