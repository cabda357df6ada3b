"""The open count differences as a report states them: bounded, whatever their number; ledger thread only.

A difference nobody settles is counted in every close until it is (docs/spec/registers.md, "Open
differences in the close"): its report and chain entry give count and total, per kind, the oldest
few carried from earlier days, the first few counted in the period, and a digest of the full list,
so an auditor can check the close against the chain without the close repeating the list.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlite_utils import Database

from backend_api.opendiffs import list_digest
from kioskd.ledger.audit import append_entry

OLDEST_LISTED = 10  # carried over from earlier days: the ones longest waiting come first
PERIOD_LISTED = 20  # counted in the period: a real count's few notes, a bad count's first page
_LISTED = "SELECT d.id AS no, d.kind, d.value, d.at, c.serial FROM differences d" \
          " LEFT JOIN counterfeits c ON c.id = d.counterfeit WHERE d.status = 'open'"


def _figures(conn: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> dict[str, int]:
    count, total = conn.execute(
        f"SELECT COUNT(*), COALESCE(SUM(value), 0) FROM differences WHERE status = 'open' {where}", args).fetchone()
    return {"count": count, "total": total}


def open_figures(db: Database) -> dict[str, int]:
    """Count and total (fen) of the open differences, for a page of the full list."""
    return _figures(db.conn, "", ())


def open_summary(db: Database, since: str, until: str) -> dict[str, Any]:
    """The open differences now: count, total, per kind, the oldest earlier ones, the period's, digest."""
    conn = db.conn
    by_kind = {kind: {"count": count, "total": total} for kind, count, total in conn.execute(
        "SELECT kind, COUNT(*), SUM(value) FROM differences WHERE status = 'open' GROUP BY kind ORDER BY kind")}
    rows = conn.execute("SELECT id, kind, value FROM differences WHERE status = 'open' ORDER BY id")
    return {
        **_figures(conn, "", ()), "by_kind": by_kind,
        "earlier": {**_figures(conn, "AND at < ?", (since,)),
                    "oldest": list(db.query(f"{_LISTED} AND d.at < ? ORDER BY d.id LIMIT ?", (since, OLDEST_LISTED)))},
        "period": {**_figures(conn, "AND at >= ? AND at < ?", (since, until)),
                   "listed": list(db.query(f"{_LISTED} AND d.at >= ? AND d.at < ? ORDER BY d.id LIMIT ?",
                                           (since, until, PERIOD_LISTED)))},
        "digest": list_digest(rows),
        "last": conn.execute("SELECT COALESCE(MAX(id), 0) FROM differences").fetchone()[0],
    }


def append_close(db: Database, report: dict[str, Any], since: str, until: str) -> tuple[int, str, dict[str, Any]]:
    """Append the daily close's chain entry with the open differences read in the same transaction: the
    summary it signs is the state at its place in the chain (an auditor replays up to it).
    (seq, hash, the summary signed)."""
    with db.atomic():
        summary = open_summary(db, since, until)
        seq, digest = append_entry(db.conn, "daily_close", {**report, "registers": {**report["registers"], "open": summary}})
    return seq, digest, summary
