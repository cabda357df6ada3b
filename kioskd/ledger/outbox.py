"""Store-and-forward outbox, synchronous; run only on the ledger's own thread.

Items are never deleted: a done item keeps its answer, so a batch or a dispute can
show what the backend said.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import OutboxItem, normalise_utc, utc_now


class OutboxStore:
    """Outbox rows on one sqlite-utils Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, kind: str, key: str, body: str) -> int:
        """Add an item; the same (kind, key) again returns the first item's id, body kept."""
        with self.db.atomic():
            row = next(
                iter(self.db.query("SELECT id FROM outbox WHERE kind = ? AND key = ?", (kind, key))),
                None,
            )
            if row is not None:
                return int(row["id"])
            now = utc_now()
            cursor = self.db.execute(
                "INSERT INTO outbox (kind, key, body, created, next_try) VALUES (?, ?, ?, ?, ?)",
                (kind, key, body, now, now),
            )
            return int(cursor.lastrowid or 0)  # sqlite3 always sets it after an INSERT

    def next(self, kind: str) -> OutboxItem | None:
        """The oldest undone item of `kind`, whatever its next_try."""
        row = next(
            iter(
                self.db.query(
                    "SELECT id, kind, key, body, tries, next_try FROM outbox"
                    " WHERE kind = ? AND done IS NULL ORDER BY id LIMIT 1",
                    (kind,),
                )
            ),
            None,
        )
        return None if row is None else OutboxItem(**row)

    def done(self, item_id: int, answer: str) -> None:
        """Mark an item answered for good; repeating it keeps the first answer."""
        with self.db.atomic():
            self._require(item_id)
            self.db.execute(
                "UPDATE outbox SET done = ?, answer = ? WHERE id = ? AND done IS NULL",
                (utc_now(), answer, item_id),
            )

    def retry(self, item_id: int, next_try: str, error: str) -> None:
        """Count a failed try and when to try again."""
        when = normalise_utc(next_try)
        with self.db.atomic():
            row = self._require(item_id)
            if row["done"] is not None:
                raise LedgerError(f"outbox item {item_id} is already done")
            self.db.execute(
                "UPDATE outbox SET tries = tries + 1, next_try = ?, last_error = ? WHERE id = ?",
                (when, error, item_id),
            )

    def depth(self) -> dict[str, int]:
        """Undone items per kind."""
        return {
            row["kind"]: row["n"]
            for row in self.db.query(
                "SELECT kind, COUNT(*) AS n FROM outbox WHERE done IS NULL GROUP BY kind"
                " ORDER BY kind"
            )
        }

    def _require(self, item_id: int) -> dict[str, Any]:
        row = next(iter(self.db.query("SELECT * FROM outbox WHERE id = ?", (item_id,))), None)
        if row is None:
            raise LedgerError(f"unknown outbox item {item_id}")
        return row
