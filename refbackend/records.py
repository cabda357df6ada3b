"""Batch record kinds: how each is checked and filed. A new kind is one entry in KINDS."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from refbackend.sql import Sql


@dataclass(frozen=True)
class RecordKind:
    """How the backend files one kind of batch record: its sub-type and its time, for queries."""

    type_of: Callable[[dict[str, Any]], str | None] = lambda record: None
    at_of: Callable[[dict[str, Any]], str | None] = lambda record: None


def _text(name: str) -> Callable[[dict[str, Any]], str | None]:
    def get(record: dict[str, Any]) -> str | None:
        value = record.get(name)
        return value if isinstance(value, str) else None

    return get


KINDS: dict[str, RecordKind] = {
    "payment": RecordKind(type_of=_text("status"), at_of=_text("ended")),
    "audit": RecordKind(type_of=_text("type"), at_of=_text("at")),  # custody_open, custody_count, ...
    "alert": RecordKind(type_of=_text("code"), at_of=_text("at")),
    "rating": RecordKind(type_of=_text("rating"), at_of=_text("at")),  # the customer's rating of a payment
    "invoice": RecordKind(type_of=_text("status"), at_of=_text("requested")),  # an invoice the customer asked for
    "case": RecordKind(type_of=_text("step"), at_of=_text("at")),  # one step of a case (差错/投诉)
}


def file_records(sql: Sql, kiosk: str, batch_seq: int, records: list[dict[str, Any]]) -> None:
    """Store every record of an accepted batch (in the batch's transaction)."""
    rows = []
    for idx, record in enumerate(records):
        kind = KINDS[record["kind"]]
        rows.append((kiosk, batch_seq, idx, record["kind"], kind.type_of(record), kind.at_of(record),
                     json.dumps(record, ensure_ascii=False, separators=(",", ":"))))
    if rows:
        sql.many("INSERT INTO batch_records (kiosk, batch_seq, idx, kind, type, at, body)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def audit_records(sql: Sql, types: tuple[str, ...], kiosk: str | None = None) -> list[dict[str, Any]]:
    """Audit records of the given types (oldest first), each with its kiosk."""
    marks = ", ".join("?" * len(types))
    where, params = f"kind = 'audit' AND type IN ({marks})", list(types)
    if kiosk is not None:
        where += " AND kiosk = ?"
        params.append(kiosk)
    return [{**json.loads(r["body"]), "kiosk": r["kiosk"]} for r in sql.rows(
        f"SELECT kiosk, body FROM batch_records WHERE {where} ORDER BY kiosk, batch_seq, idx", params)]
