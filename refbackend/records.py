"""Batch record kinds: how each is checked and filed. A new kind is one entry in KINDS."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from refbackend.closealerts import raise_close_alerts
from refbackend.outcomes import cash_of_record, second_outcome
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
    # the hall's registers (issue 18): what a custody count left, keys and patrols
    "handover": RecordKind(type_of=_text("digest"), at_of=_text("at")),  # the record both technicians signed
    "counterfeit": RecordKind(type_of=_text("serial"), at_of=_text("at")),
    "difference": RecordKind(type_of=_text("status"), at_of=_text("at")),  # over/short/counterfeit, open/resolved
    "claim": RecordKind(type_of=_text("status"), at_of=_text("at")),  # a vendor claim's status
    "key": RecordKind(type_of=_text("key"), at_of=_text("at")),  # a key handover
    "patrol": RecordKind(type_of=_text("by"), at_of=_text("at")),
    # a note whose fate the validator could not tell after a restart, recorded or settled
    "doubt": RecordKind(type_of=_text("state"), at_of=lambda r: _text("settled")(r) or _text("recorded")(r)),
}


def keep_batch(sql: Sql, kiosk: str, payload: dict[str, Any], digest: str, jws: str,
               received: str) -> dict[str, Any] | None:
    """Store a new batch of the chain whose verdict is 200, in the caller's transaction (either
    store); the 400 answer instead, with nothing stored, when it would give a cash a second outcome."""
    problem = second_outcome(sql, kiosk, payload["records"])
    if problem is not None:
        return {"error": "bad_request", "detail": problem}
    head = payload["audit_head"]
    sql.run("INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kiosk, payload["seq"], digest, jws, len(payload["records"]), head["seq"], head["hash"], received))
    ratings = [r for r in payload["records"] if r["kind"] == "rating"]  # the customer's one rating of a payment
    if ratings:
        sql.many("INSERT INTO ratings VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                 [(kiosk, r["txn"], r["seq"], r["rating"], r["at"]) for r in ratings])
    file_records(sql, kiosk, payload["seq"], payload["records"])
    raise_close_alerts(sql, kiosk, payload["records"], received)  # after its difference records are filed
    return None


def file_records(sql: Sql, kiosk: str, batch_seq: int, records: list[dict[str, Any]]) -> None:
    """Store every record of an accepted batch (in the batch's transaction)."""
    rows = []
    for idx, record in enumerate(records):
        kind = KINDS[record["kind"]]
        # a case step's id and cash: the one-outcome check reads a cash's outcomes by them (outcomes.py)
        case = record["kind"] == "case"
        rows.append((kiosk, batch_seq, idx, record["kind"], kind.type_of(record), kind.at_of(record),
                     json.dumps(record, ensure_ascii=False, separators=(",", ":")),
                     record["id"] if case else None, cash_of_record(record) if case else None))
    sql.insert("batch_records", ("kiosk", "batch_seq", "idx", "kind", "type", "at", "body", "record_id", "cash"),
               rows)
    for record in records:
        if record["kind"] == "audit" and record.get("type") in CUSTODY_COLUMNS:
            _note_custody(sql, kiosk, record)


# What each custody audit record sets in its session's row.
CUSTODY_COLUMNS = {"custody_open": ("opened", "box_id", "since", "expected"),
                   "custody_count": ("counted", "counterfeit"), "custody_end": ("ended", "outcome"),
                   "handover": ("handover",)}


def _note_custody(sql: Sql, kiosk: str, record: dict[str, Any]) -> None:
    """Keep the row of the custody session this audit record belongs to (later records overwrite)."""
    data = record["data"] if isinstance(record.get("data"), dict) else {}
    session = data.get("session")
    if not isinstance(session, str):
        return
    rows = [r for r in data.get("rows") or [] if isinstance(r, dict)]
    counted: int | None
    counterfeit: int | None
    try:
        counted = sum(int(r["value"]) * int(r["counted"]) for r in rows)
        # what the counterfeit notes would be worth (kiosks before issue 18 counted none)
        counterfeit = sum(int(r["value"]) * int(r.get("counterfeit", 0)) for r in rows)
    except (KeyError, TypeError, ValueError):
        counted = counterfeit = None  # shown as unknown, as the kiosk's count could not be read
    digest = data.get("digest")
    values = {"opened": record.get("at"), "box_id": data.get("box_id"), "since": data.get("since"),
              "expected": _fen(data.get("counts")), "ended": record.get("at"), "outcome": data.get("outcome"),
              "counted": counted, "counterfeit": counterfeit, "handover": digest if isinstance(digest, str) else None}
    columns = CUSTODY_COLUMNS[record["type"]]
    sql.run(f"INSERT INTO custody_sessions (kiosk, session, {', '.join(columns)})"
            f" VALUES (?, ?, {', '.join('?' * len(columns))}) ON CONFLICT (kiosk, session)"
            f" DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in columns)}",
            (kiosk, session, *(values[c] for c in columns)))


def _fen(counts: object) -> int | None:
    if not isinstance(counts, dict):
        return None
    try:
        return sum(int(value) * int(n) for value, n in counts.items())
    except (TypeError, ValueError):
        return None


def backfill_custody(sql: Sql) -> None:
    """Sessions of a store made before custody_sessions existed, from the audit records kept (once)."""
    if sql.one("SELECT 1 AS x FROM custody_sessions LIMIT 1") is not None:
        return
    for r in sql.rows("SELECT kiosk, body FROM batch_records WHERE kind = 'audit' AND type IN"
                      " ('custody_open', 'custody_count', 'custody_end', 'handover') ORDER BY kiosk, batch_seq, idx"):
        _note_custody(sql, r["kiosk"], json.loads(r["body"]))


def audit_records(sql: Sql, types: tuple[str, ...], kiosk: str | None = None) -> list[dict[str, Any]]:
    """Audit records of the given types (oldest first), each with its kiosk."""
    marks = ", ".join("?" * len(types))
    where, params = f"kind = 'audit' AND type IN ({marks})", list(types)
    if kiosk is not None:
        where += " AND kiosk = ?"
        params.append(kiosk)
    return [{**json.loads(r["body"]), "kiosk": r["kiosk"]} for r in sql.rows(
        f"SELECT kiosk, body FROM batch_records WHERE {where} ORDER BY kiosk, batch_seq, idx", params)]
