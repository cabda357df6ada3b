"""The customers' own receipt copies at the kiosk: at most one per payment, never undone."""

from __future__ import annotations

from sqlite_utils import Database

from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import utc_now


class SelfReprintStore:
    """Self-service reprints on one sqlite-utils Database (table `self_reprints`, migration 9)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def reprinted(self, txns: list[str]) -> set[str]:
        """Which of `txns` the customer has already reprinted at the kiosk."""
        if not txns:
            return set()
        marks = ", ".join("?" * len(txns))
        return {r["txn"] for r in self.db.query(f"SELECT txn FROM self_reprints WHERE txn IN ({marks})", txns)}

    def mark(self, txn: str) -> None:
        """Record the customer's one copy of payment `txn`; a second is refused."""
        with self.db.atomic():
            if self.reprinted([txn]):
                raise LedgerError(f"payment {txn} was already reprinted by the customer")
            self.db.execute("INSERT INTO self_reprints (txn, at) VALUES (?, ?)", (txn, utc_now()))
