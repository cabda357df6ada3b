"""The customers' ratings of their payments (满意/一般/不满意): one per payment, never changed."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import utc_now

RATINGS = ("good", "fair", "poor")


class RatingStore:
    """Ratings on one sqlite-utils Database (table `ratings`, schema migration 5)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def rate(self, txn: str, rating: str) -> None:
        """Keep `rating` for the payment `txn`; a second rating of the same payment is refused."""
        if rating not in RATINGS:
            raise LedgerError(f"rating must be one of {RATINGS}, not {rating!r}")
        with self.db.atomic():
            took_cash = next(iter(self.db.query("SELECT seq FROM txns WHERE id = ?", (txn,))), None)
            if took_cash is None or took_cash["seq"] is None:
                raise LedgerError(f"no payment {txn} that took cash to rate")
            if next(iter(self.db.query("SELECT 1 FROM ratings WHERE txn = ?", (txn,))), None):
                raise LedgerError(f"payment {txn} is already rated")
            self.db.execute("INSERT INTO ratings (txn, rating, at) VALUES (?, ?, ?)", (txn, rating, utc_now()))

    def after(self, rating_id: int, limit: int) -> list[dict[str, Any]]:
        """Batch records of the ratings after `rating_id`, oldest first."""
        return [
            {"kind": "rating", "id": r["id"], "txn": r["txn"], "seq": r["seq"], "rating": r["rating"], "at": r["at"]}
            for r in self.db.query(
                "SELECT r.id, r.txn, t.seq, r.rating, r.at FROM ratings r JOIN txns t ON t.id = r.txn"
                " WHERE r.id > ? ORDER BY r.id LIMIT ?", (rating_id, limit))
        ]

    def between(self, since: str, until: str) -> dict[str, int]:
        """How many payments that ended in [since, until) got each rating."""
        counts = dict.fromkeys(RATINGS, 0)
        for row in self.db.query(
            "SELECT r.rating, COUNT(*) AS n FROM ratings r JOIN txns t ON t.id = r.txn"
            " WHERE t.ended >= ? AND t.ended < ? GROUP BY r.rating", (since, until)):
            counts[row["rating"]] = row["n"]
        return counts
