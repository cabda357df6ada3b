"""Payment totals of a time range, summed by SQLite (reports read figures, not every row); ledger thread only."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kioskd.ledger.records import normalise_utc

OPEN_STATES = ("closed", "pending", "flagged")  # not credited yet: the report lists each one


def payment_figures(db: Database, since: str, until: str, states: tuple[str, ...], width: int) -> dict[str, Any]:
    """Payments in `states` that ended in [since, until) (the day a payment belongs to, as at the
    backend: docs/spec/registers.md): count and total per (its end in UTC cut to the first `width`
    characters, state), notes per value, and the payments not yet credited."""
    window = (normalise_utc(since), normalise_utc(until), *states)
    among = f"ended >= ? AND ended < ? AND state IN ({', '.join('?' * len(states))})"
    buckets = [(r["at"], r["state"], r["n"], r["total"]) for r in db.query(
        f"SELECT substr(ended, 1, ?) AS at, state, COUNT(*) AS n, SUM(amount) AS total FROM txns"
        f" WHERE {among} GROUP BY at, state ORDER BY at, state", (width, *window))]
    notes = {r["value"]: r["n"] for r in db.query(
        f"SELECT value, COUNT(*) AS n FROM notes WHERE txn IN (SELECT id FROM txns WHERE {among})"
        " GROUP BY value", window)}
    unsettled = [s for s in states if s in OPEN_STATES]
    open_ones = list(db.query(
        f"SELECT seq, id AS txn, account, amount, state, started, reason FROM txns WHERE ended >= ?"
        f" AND ended < ? AND state IN ({', '.join('?' * len(unsettled))}) ORDER BY ended, rowid",
        (*window[:2], *unsettled))) if unsettled else []
    return {"buckets": buckets, "notes": notes, "open": open_ones}
