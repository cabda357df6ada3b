"""One outcome per cash at the backend (backend-api.md, "One outcome per cash"): the outcome
records of a batch are checked against what their cash already has before the batch is stored."""

from __future__ import annotations

import json
from typing import Any

from refbackend.sql import Sql

STANDS = {"recredit": "credited", "void": "accepted", "refund": None, "writeoff": None}  # the state that stands
CHUNK = 400


def stands(record: dict[str, Any]) -> bool:
    """Whether this batch record is an outcome that stands (a refund, a credited re-credit, ...)."""
    if record.get("kind") != "case" or record.get("step") not in STANDS:
        return False
    state = STANDS[record["step"]]
    return state is None or record["data"].get("state") == state


def cash_of_record(record: dict[str, Any]) -> str:
    """The cash an outcome record disposes of: its payment, or for a claim its case (as corrections.cash_of)."""
    txn = record["data"].get("txn")
    return txn if isinstance(txn, str) else f"claim:{record['case']}"


def cash_lock(kiosk: str, cash: str) -> str:
    """The name of the lock that serialises everything that may give one cash an outcome (PostgreSQL)."""
    return f"cash/{kiosk}/{cash}"


def _named(cash: str) -> str:
    return f"claim case {cash[6:]}" if cash.startswith("claim:") else f"payment {cash}"


def settled_by_batch(sql: Sql, kiosk: str, cash: str) -> str | None:
    """The step (refund, writeoff) a kept batch record settled this cash with, or None."""
    row = sql.one("SELECT type FROM batch_records WHERE kiosk = ? AND cash = ? AND kind = 'case'"
                  " AND type IN ('refund', 'writeoff') ORDER BY batch_seq, idx LIMIT 1", (kiosk, cash))
    return None if row is None else str(row["type"])


def _in(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


def _chunks(values: list[Any]) -> list[list[Any]]:
    """At most CHUNK values per IN list: SQLite before 3.32 takes 999 parameters a statement."""
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


def _kept_ids(sql: Sql, kiosk: str, ids: list[int]) -> set[int]:
    """Which of these case record ids the backend keeps already (a record sent again is a repeat)."""
    return {int(r["record_id"]) for part in _chunks(ids) for r in sql.rows(
        f"SELECT DISTINCT record_id FROM batch_records WHERE kiosk = ? AND record_id IN ({_in(part)})", (kiosk, *part))}


def _standing(sql: Sql, kiosk: str, cashes: list[str]) -> dict[str, tuple[str, str]]:
    """cash -> (outcome id, what it is) of the outcomes that stand for these cashes: kept records (the
    first of each id, as the backend keeps them), credited re-credits and accepted voids."""
    have: dict[str, tuple[str, str]] = {}
    steps = list(STANDS)
    rows = [row for part in _chunks(cashes) for row in sql.rows(
        "SELECT r.batch_seq, r.idx, r.body FROM batch_records r WHERE r.kiosk = ? AND r.kind = 'case'"
        f" AND r.cash IN ({_in(part)}) AND r.type IN ({_in(steps)})"
        " AND NOT EXISTS (SELECT 1 FROM batch_records e WHERE e.kiosk = r.kiosk AND e.record_id = r.record_id"
        " AND (e.batch_seq < r.batch_seq OR (e.batch_seq = r.batch_seq AND e.idx < r.idx)))", (kiosk, *part, *steps))]
    for row in sorted(rows, key=lambda r: (r["batch_seq"], r["idx"])):  # the first outcome of a cash is the one
        record = json.loads(row["body"])
        if stands(record):
            outcome = record["data"]["outcome"]
            have.setdefault(cash_of_record(record), (outcome, f"{record['step']} {outcome}"))
    for table, kind, done in (("recredits", "recredit", "credited"), ("voids", "void", "accepted")):
        for part in _chunks(cashes):
            for row in sql.rows(f"SELECT id, cash FROM {table} WHERE kiosk = ? AND {done} = 1"
                                f" AND cash IN ({_in(part)})", (kiosk, *part)):
                have.setdefault(row["cash"], (row["id"], f"{kind} {row['id']}"))
    return have


def second_outcome(sql: Sql, kiosk: str, records: list[dict[str, Any]]) -> str | None:
    """Why this batch would give a cash a second outcome (the 400 detail), or None.

    Reads only what the backend holds on the cash of this batch's outcomes (indexed on
    batch_records (kiosk, cash) and (kiosk, record_id)), not every case record of the kiosk.
    """
    new = [(i, r) for i, r in enumerate(records) if stands(r)]
    if not new:
        return None
    cashes = sorted({cash_of_record(r) for _, r in new})
    if sql.postgres:  # the cash's re-credits and voids wait (corrections.cash_lock), sorted: the one lock order
        for name in sorted(cash_lock(kiosk, cash) for cash in cashes):
            sql.one("SELECT pg_advisory_xact_lock(hashtextextended(?, 0)) AS x", (name,))
    kept = _kept_ids(sql, kiosk, sorted({int(r["id"]) for _, r in new}))
    have = _standing(sql, kiosk, cashes)
    for i, r in new:
        if r["id"] in kept:
            continue  # a record kept before, sent again (or twice in this batch): a repeat
        cash, outcome = cash_of_record(r), r["data"]["outcome"]
        if cash not in have and r["step"] in ("refund", "writeoff") and not cash.startswith("claim:"):
            paid = sql.one("SELECT credited, answer FROM payments WHERE kiosk = ? AND txn = ?", (kiosk, cash))
            if paid is not None and paid["credited"]:
                have[cash] = ("", f"its credit {json.loads(paid['answer']).get('ref')}")
        if cash in have and have[cash][0] != outcome:
            return f"records[{i}]: {r['step']} {outcome}: the cash of {_named(cash)} already has an outcome: {have[cash][1]}"
        have.setdefault(cash, (outcome, f"{r['step']} {outcome}"))
        kept.add(r["id"])
    return None
