"""One outcome per cash at the backend (backend-api.md, "One outcome per cash"): the outcome
records of a batch are checked against what their cash already has before the batch is stored."""

from __future__ import annotations

import json
from typing import Any

from refbackend.sql import Sql

STANDS = {"recredit": "credited", "void": "accepted", "refund": None, "writeoff": None}  # the state that stands


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
    for row in sql.rows("SELECT body FROM batch_records WHERE kiosk = ? AND kind = 'case' AND type IN"
                        " ('refund', 'writeoff')", (kiosk,)):
        record = json.loads(row["body"])
        if cash_of_record(record) == cash:
            return str(record["step"])
    return None


def second_outcome(sql: Sql, kiosk: str, records: list[dict[str, Any]]) -> str | None:
    """Why this batch would give a cash a second outcome (the 400 detail), or None."""
    new = [(i, r) for i, r in enumerate(records) if stands(r)]
    if not new:
        return None
    if sql.postgres:  # the cash's re-credits and voids wait (corrections.cash_lock), sorted: the one lock order
        for name in sorted({cash_lock(kiosk, cash_of_record(r)) for _, r in new}):
            sql.one("SELECT pg_advisory_xact_lock(hashtextextended(?, 0)) AS x", (name,))
    kept: set[int] = set()
    have: dict[str, tuple[str, str]] = {}  # cash -> (outcome id, what it is)
    for row in sql.rows("SELECT body FROM batch_records WHERE kiosk = ? AND kind = 'case' ORDER BY batch_seq, idx",
                        (kiosk,)):
        record = json.loads(row["body"])
        if record["id"] in kept:
            continue  # the backend keeps the first record of each id
        kept.add(record["id"])
        if stands(record):
            outcome = record["data"]["outcome"]
            have.setdefault(cash_of_record(record), (outcome, f"{record['step']} {outcome}"))
    for table, kind in (("recredits", "recredit"), ("voids", "void")):
        done = "credited" if table == "recredits" else "accepted"
        for row in sql.rows(f"SELECT id, cash FROM {table} WHERE kiosk = ? AND {done} = 1", (kiosk,)):
            have.setdefault(row["cash"], (row["id"], f"{kind} {row['id']}"))
    for i, r in new:
        if r["id"] in kept:
            continue  # a record kept before, sent again: a repeat
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
