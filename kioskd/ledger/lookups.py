"""Read-only look-ups of transactions and their notes; run only on the ledger's own thread."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import TXN_STATES, NoteRecord, TxnRecord, normalise_utc

TXN_COLUMNS = (
    "id, seq, account, holder, due, currency, state, amount, started, ended,"
    " balance, ref, reason, opened_reason, payload, reprint_wanted"
)


def one(db: Database, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
    """The first row of a query as a dict, or None."""
    return next(iter(db.query(sql, params)), None)


def notes_of(db: Database, txn: str) -> tuple[NoteRecord, ...]:
    """The notes of a transaction in the order they were credited."""
    return tuple(
        NoteRecord(value=row["value"], at=row["at"])
        for row in db.query("SELECT value, at FROM notes WHERE txn = ? ORDER BY id", (txn,))
    )


class TxnQueries:
    """Transactions by id, seq or filters on one sqlite-utils Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def transaction(self, txn_or_seq: str | int) -> TxnRecord | None:
        """One transaction by id (str) or seq (int)."""
        column = "seq" if isinstance(txn_or_seq, int) else "id"
        row = one(self.db, f"SELECT {TXN_COLUMNS} FROM txns WHERE {column} = ?", (txn_or_seq,))
        return None if row is None else self._record(row)

    def transactions(
        self,
        account: str | None,
        since: str | None,
        until: str | None,
        amount: int | None,
        states: tuple[str, ...] | None,
        by: str = "started",
    ) -> list[TxnRecord]:
        """Transactions matching every given filter, oldest first (since <= `by` < until; `by` is
        started or ended)."""
        if by not in ("started", "ended"):
            raise LedgerError(f"transactions by {by!r}: started or ended")
        where: list[str] = []
        params: list[Any] = []
        if account is not None:
            where.append("account = ?")
            params.append(account)
        if since is not None:
            where.append(f"{by} >= ?")
            params.append(normalise_utc(since))
        if until is not None:
            where.append(f"{by} < ?")
            params.append(normalise_utc(until))
        if amount is not None:
            where.append("amount = ?")
            params.append(amount)
        if states is not None:
            unknown = set(states) - set(TXN_STATES)
            if unknown:
                raise LedgerError(f"unknown transaction states {sorted(unknown)}")
            where.append(f"state IN ({', '.join('?' * len(states))})")
            params.extend(states)
        sql = f"SELECT {TXN_COLUMNS} FROM txns"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {by}, rowid"
        return [self._record(row) for row in self.db.query(sql, params)]

    def _record(self, row: dict[str, Any]) -> TxnRecord:
        return TxnRecord(
            id=row["id"], seq=row["seq"], account=row["account"], holder=row["holder"], due=row["due"],
            state=row["state"], amount=row["amount"], notes=notes_of(self.db, row["id"]),
            started=row["started"], ended=row["ended"], balance=row["balance"], ref=row["ref"],
            reason=row["reason"], opened_reason=row["opened_reason"], payload=row["payload"],
            reprint_wanted=bool(row["reprint_wanted"]),
        )
