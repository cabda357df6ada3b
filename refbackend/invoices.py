"""Electronic invoices (电子发票) issued for credited payments, and the reads behind the receipt pages.

InvoiceStore is mixed into SQLiteStore and PostgresStore beside FleetStore: one SQL text for
both engines, through Sql (docs/spec/backend-api.md: POST /v1/invoices, GET /r/..., GET /invoices/...).
"""

from __future__ import annotations

import json
import secrets
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from backend_api.jcs import canonicalize
from refbackend.fleet.forecast import local_day
from refbackend.rules import invoice_refusal
from refbackend.sql import Sql, touch

INVOICE_PATH = "invoices/"  # under the backend's base URL: GET /invoices/{token}


def invoice_number(year: int, n: int) -> str:
    """The reference backend's 20-digit invoice number: year, a type code, then the counter."""
    return f"{year % 100:02d}11{n:016d}"


class InvoiceStore:
    """Issuing invoices once per payment; the facts a receipt or invoice page shows."""

    def transaction(self) -> AbstractContextManager[Sql]:
        """One transaction: committed when the block ends, rolled back on an error."""
        raise NotImplementedError

    def issue_invoice(self, kiosk_id: str, payload: dict[str, Any], received: str,
                      base_url: str, zone: ZoneInfo) -> tuple[int, dict[str, Any]]:
        """Issue (once) the invoice of a credited payment; a repeat gets the stored answer.

        The number's year is the halls' (`zone`): an invoice issued just after local New Year
        belongs to the new year's series although UTC is still in the old one."""
        canonical = canonicalize(payload).decode("utf-8")
        with self.transaction() as sql:
            seen = sql.one("SELECT payload, status, answer FROM invoices WHERE kiosk = ? AND txn = ?",
                           (kiosk_id, payload["txn"]))
            if seen is not None:
                if seen["payload"] != canonical:
                    return 409, {"error": "conflict"}
                return seen["status"], json.loads(seen["answer"])
            payment = sql.one("SELECT account, amount, credited FROM payments WHERE kiosk = ? AND txn = ?",
                              (kiosk_id, payload["txn"]))
            if payment is None:
                return 409, {"error": "payment_unknown"}  # not kept: the payment may be on its way
            touch(sql, kiosk_id, received)
            refusal = invoice_refusal(payment, payload)
            number = token = None
            if refusal is not None:
                status, answer = 422, {"error": "rejected", "reason": refusal}
            else:
                sql.run("UPDATE invoice_counter SET last = last + 1 WHERE id = 1")
                counter = sql.one("SELECT last FROM invoice_counter WHERE id = 1")
                assert counter is not None
                number = invoice_number(local_day(datetime.fromisoformat(received), zone).year, int(counter["last"]))
                token = secrets.token_urlsafe(16)
                status, answer = 200, {"txn": payload["txn"], "status": "issued", "number": number,
                                       "issued": received, "url": base_url + INVOICE_PATH + token}
            sql.run("INSERT INTO invoices (kiosk, txn, payload, status, answer, number, token, received)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (kiosk_id, payload["txn"], canonical, status, json.dumps(answer, ensure_ascii=False),
                     number, token, received))
            return status, answer

    def receipt_facts(self, kiosk_id: str, txn: str) -> dict[str, Any] | None:
        """What the backend holds of one payment (payload, answer, credited, holder, hall, invoice);
        `payment` None when it has not arrived; None when the kiosk is not enrolled."""
        with self.transaction() as sql:
            kiosk = sql.one("SELECT hall FROM kiosks WHERE kid = ?", (kiosk_id,))
            row = sql.one(
                "SELECT p.payload, p.answer, p.credited, a.holder, i.answer AS invoice, i.status AS invoice_status"
                " FROM payments p LEFT JOIN accounts a ON a.account = p.account"
                " LEFT JOIN invoices i ON i.kiosk = p.kiosk AND i.txn = p.txn"
                " WHERE p.kiosk = ? AND p.txn = ?", (kiosk_id, txn))
        if kiosk is None:
            return None
        if row is None:
            return {"payment": None, "hall": kiosk["hall"]}
        issued = row["invoice"] is not None and row["invoice_status"] == 200
        return {"payment": json.loads(row["payload"]), "answer": json.loads(row["answer"]),
                "credited": bool(row["credited"]), "holder": row["holder"], "hall": kiosk["hall"],
                "invoice": json.loads(row["invoice"]) if issued else None}

    def invoice_facts(self, token: str) -> dict[str, Any] | None:
        """The issued invoice a token names, with its payment and the buyer (the account's holder)."""
        with self.transaction() as sql:
            row = sql.one(
                "SELECT i.kiosk, i.answer, p.payload, a.holder, k.hall FROM invoices i"
                " JOIN payments p ON p.kiosk = i.kiosk AND p.txn = i.txn"
                " LEFT JOIN accounts a ON a.account = p.account LEFT JOIN kiosks k ON k.kid = i.kiosk"
                " WHERE i.token = ? AND i.status = 200", (token,))
        if row is None:
            return None
        return {"kiosk": row["kiosk"], "invoice": json.loads(row["answer"]), "payment": json.loads(row["payload"]),
                "holder": row["holder"], "hall": row["hall"]}
