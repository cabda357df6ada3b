"""Pure checks of the backend API: payload schemas and the verdicts on payments and batches."""

from __future__ import annotations

import re
from typing import Any

from backend_api.fields import is_int
from refbackend.caserules import check_case_record, check_doubt_record, check_recredit, check_void
from refbackend.fieldchecks import BadRequest, parse_time  # noqa: F401 - BadRequest: rules' callers import it here
from refbackend.fieldchecks import check_uuid as _uuid
from refbackend.fieldchecks import require as _require
from refbackend.records import KINDS
from refbackend.registerrules import FIELDS as REGISTER_KINDS
from refbackend.registerrules import check_register_record
from refbackend.witness import audit_continuity

STALE_AFTER = 300.0  # seconds; spec: look-ups and alerts only
MAX_BATCH_RECORDS = 1000
ZERO_HASH = "0" * 64
ALERT_CODES = frozenset({
    "note_jam", "stacker_full", "stacker_near_full", "box_removed", "box_tamper",
    "validator_offline", "validator_fault", "printer_paper_out", "printer_paper_low",
    "printer_offline", "backend_unreachable", "payment_flagged", "custody_mismatch",
    "door_open", "door_unreadable", "power_restored", "clock_skew", "cash_without_case", "staff_emergency_login", "journal_tampered",
    "patrol_missed", "box_not_emptied",
    "note_in_doubt", "batch_refused",
})
SEVERITIES = frozenset({"info", "warning", "critical"})
ALERT_STATES = frozenset({"raised", "acknowledged", "cleared"})
RECORD_KINDS = frozenset(KINDS)
INVOICE_STATES = frozenset({"issued", "refused"})  # an invoice record's status (sent once answered)
RATINGS = frozenset({"good", "fair", "poor"})
PAPER_STATES = frozenset({"ok", "low", "out", "offline"})
_HEX64 = re.compile(r"[0-9a-f]{64}")
_CURRENCY = re.compile(r"[A-Z]{3}")

FIELDS: dict[str, frozenset[str]] = {
    "lookup": frozenset({"type", "kiosk", "account", "ts"}),
    "payment": frozenset({"type", "kiosk", "txn", "seq", "account", "amount", "currency", "notes",
                          "started", "ended"}),
    "alert": frozenset({"type", "kiosk", "id", "code", "severity", "state", "at", "ts", "detail"}),
    "batch": frozenset({"type", "kiosk", "seq", "prev", "records", "audit_head", "ts"}),
    "invoice": frozenset({"type", "kiosk", "txn", "seq", "account", "amount", "currency", "requested"}),
    "status": frozenset({"type", "kiosk", "ts", "state", "box", "paper", "pending", "flagged", "outbox",
                         "alerts_open"}),
    "recredit": frozenset({"type", "kiosk", "id", "case", "txn", "seq", "claim", "account", "amount", "currency",
                           "reason", "by", "at"}),
    "void": frozenset({"type", "kiosk", "id", "case", "txn", "seq", "account", "to", "amount", "currency",
                       "reason", "by", "at"}),
}


def check_payload(payload: dict[str, Any], expected_type: str) -> None:
    """Raise BadRequest unless `payload` is a well-formed `expected_type` object."""
    kind = payload.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        raise BadRequest(f"type: unknown {kind!r}")
    _require(kind == expected_type, f"type: {kind!r} sent to the {expected_type} endpoint")
    missing = FIELDS[kind] - payload.keys()
    _require(not missing, f"missing fields: {sorted(missing)}")
    extra = payload.keys() - FIELDS[kind]
    _require(not extra, f"unknown fields: {sorted(extra)}")
    _require(isinstance(payload["kiosk"], str) and payload["kiosk"] != "", "kiosk: string required")
    {"lookup": _check_lookup, "payment": _check_payment, "alert": _check_alert,
     "batch": _check_batch, "status": _check_status, "invoice": _check_invoice, "recredit": check_recredit,
     "void": check_void}[kind](payload)


def _check_lookup(p: dict[str, Any]) -> None:
    _require(isinstance(p["account"], str) and p["account"] != "", "account: string required")
    parse_time(p, "ts")


def _check_payment_fields(p: dict[str, Any]) -> None:
    """txn, seq, account, currency and amount: what a payment and its invoice request share."""
    _uuid(p["txn"], "txn")
    _require(is_int(p["seq"]) and p["seq"] >= 1, "seq: integer >= 1 required")
    _require(isinstance(p["account"], str) and p["account"] != "", "account: string required")
    _require(isinstance(p["currency"], str) and _CURRENCY.fullmatch(p["currency"]) is not None,
             "currency: ISO 4217 code required")
    _require(is_int(p["amount"]) and p["amount"] > 0, "amount: positive integer (minor units) required")


def _check_payment(p: dict[str, Any]) -> None:
    _check_payment_fields(p)
    notes = p["notes"]
    _require(isinstance(notes, list) and len(notes) > 0, "notes: non-empty list required")
    for i, note in enumerate(notes):
        _require(isinstance(note, dict) and note.keys() == {"value", "at"}, f"notes[{i}]: {{value, at}} required")
        _require(is_int(note["value"]) and note["value"] > 0, f"notes[{i}].value: positive integer required")
        parse_time(note, "at")
    _require(sum(n["value"] for n in notes) == p["amount"], "amount: differs from the sum of notes[].value")
    _require(parse_time(p, "started") <= parse_time(p, "ended"), "ended: before started")


def _check_invoice(p: dict[str, Any]) -> None:
    _check_payment_fields(p)
    parse_time(p, "requested")


def invoice_refusal(payment: dict[str, Any], payload: dict[str, Any]) -> str | None:
    """Why an invoice for this (stored, 'credited' 0/1) payment will not be issued, or None."""
    if not payment["credited"]:
        return "payment_refused"
    if payload["amount"] != payment["amount"]:
        return "amount_mismatch"
    if payload["account"] != payment["account"]:
        return "account_mismatch"
    return None


def _check_alert(p: dict[str, Any]) -> None:
    _uuid(p["id"], "id")
    _require(p["code"] in ALERT_CODES, f"code: unknown {p['code']!r}")
    _require(p["severity"] in SEVERITIES, f"severity: one of {sorted(SEVERITIES)} required")
    _require(p["state"] in ALERT_STATES, f"state: one of {sorted(ALERT_STATES)} required")
    _require(isinstance(p["detail"], dict), "detail: object required")
    parse_time(p, "at")
    parse_time(p, "ts")


def _check_batch(p: dict[str, Any]) -> None:
    _require(is_int(p["seq"]) and p["seq"] >= 1, "seq: integer >= 1 required")
    _require(isinstance(p["prev"], str) and _HEX64.fullmatch(p["prev"]) is not None,
             "prev: 64 lowercase hex digits required")
    records = p["records"]
    _require(isinstance(records, list), "records: list required")
    _require(len(records) <= MAX_BATCH_RECORDS, f"records: at most {MAX_BATCH_RECORDS}")
    for i, record in enumerate(records):
        _require(isinstance(record, dict) and record.get("kind") in RECORD_KINDS,
                 f"records[{i}].kind: one of {sorted(RECORD_KINDS)} required")
        if record["kind"] == "rating":
            _check_rating(record, f"records[{i}]")
        elif record["kind"] == "invoice":
            _check_invoice_record(record, f"records[{i}]")
        elif record["kind"] == "case":
            check_case_record(record, f"records[{i}]")
        elif record["kind"] in REGISTER_KINDS:
            check_register_record(record, f"records[{i}]")
        elif record["kind"] == "doubt":
            check_doubt_record(record, f"records[{i}]")
    head = p["audit_head"]
    _require(isinstance(head, dict) and head.keys() == {"seq", "hash"}, "audit_head: {seq, hash} required")
    _require(is_int(head["seq"]) and head["seq"] >= 0, "audit_head.seq: integer >= 0 required")
    _require(isinstance(head["hash"], str) and re.fullmatch(r"[0-9a-f]+", head["hash"]) is not None,
             "audit_head.hash: lowercase hex required")
    parse_time(p, "ts")


def _check_rating(r: dict[str, Any], where: str) -> None:
    _uuid(r.get("txn"), f"{where}.txn")
    _require(is_int(r.get("seq")) and r["seq"] >= 1, f"{where}.seq: integer >= 1 required")
    _require(r.get("rating") in RATINGS, f"{where}.rating: one of {sorted(RATINGS)} required")
    parse_time(r, "at")


def _check_invoice_record(r: dict[str, Any], where: str) -> None:
    _uuid(r.get("txn"), f"{where}.txn")
    _require(is_int(r.get("seq")) and r["seq"] >= 1, f"{where}.seq: integer >= 1 required")
    _require(is_int(r.get("amount")) and r["amount"] > 0, f"{where}.amount: positive integer required")
    _require(r.get("status") in INVOICE_STATES, f"{where}.status: one of {sorted(INVOICE_STATES)} required")
    _require(r.get("number") is None or isinstance(r["number"], str), f"{where}.number: string or null required")
    parse_time(r, "requested")


def _count(value: object, name: str) -> None:
    _require(is_int(value) and value >= 0, f"{name}: integer >= 0 required")


def _check_status(p: dict[str, Any]) -> None:
    parse_time(p, "ts")
    _require(isinstance(p["state"], str) and 0 < len(p["state"]) <= 64, "state: string required")
    box = p["box"]
    _require(isinstance(box, dict) and box.keys() == {"notes", "amount", "capacity", "since", "by_note"},
             "box: {notes, amount, capacity, since, by_note} required")
    for name in ("notes", "amount", "capacity"):
        _count(box[name], f"box.{name}")
    if box["since"] is not None:
        parse_time(box, "since")
    by_note = box["by_note"]
    _require(isinstance(by_note, dict), "box.by_note: object required")
    for value, count in by_note.items():
        _require(value.isdigit() and int(value) > 0, f"box.by_note: {value!r} is not a note value")
        _count(count, f"box.by_note.{value}")
    _require(p["paper"] in PAPER_STATES, f"paper: one of {sorted(PAPER_STATES)} required")
    for name in ("pending", "flagged"):
        money = p[name]
        _require(isinstance(money, dict) and money.keys() == {"count", "amount"}, f"{name}: {{count, amount}} required")
        _count(money["count"], f"{name}.count")
        _count(money["amount"], f"{name}.amount")
    _count(p["outbox"], "outbox")
    _count(p["alerts_open"], "alerts_open")


def payment_refusal(account: dict[str, Any] | None, payload: dict[str, Any]) -> str | None:
    """Why a well-formed payment will not be credited (422 reason), or None to credit it."""
    if account is None:
        return "unknown_account"
    if account["status"] != "open":
        return f"account_{account['status']}"
    if payload["currency"] != account["currency"]:
        return "currency"
    if payload["amount"] > account["max"]:
        return "over_max"
    return None


def batch_verdict(
    seq: int, prev: str, digest: str, audit_head: dict[str, Any],
    last: tuple[int, str] | None, same_seq_digest: str | None, last_head: tuple[int, str] | None,
    records: list[dict[str, Any]] | None = None,
) -> tuple[int, dict[str, Any]]:
    """The answer to a batch, given what is stored: (status, body); 200 new means store it.

    A 409 fork carries a `reason`; the batch's audit records must continue the witnessed head.
    """
    last_seq, last_digest = last or (0, ZERO_HASH)
    if seq <= last_seq:
        if same_seq_digest == digest:
            return 200, {"seq": seq, "status": "accepted"}
        if seq < last_seq:
            return 409, {"error": "fork", "reason": f"rollback: batch {seq} is behind the last accepted {last_seq}"}
        return 409, {"error": "fork", "reason": f"another batch {seq} was accepted"}
    if seq > last_seq + 1:
        return 409, {"error": "gap", "expected": last_seq + 1}
    if prev != last_digest:
        return 409, {"error": "fork", "reason": f"prev is not the digest of batch {last_seq}"}
    problem = audit_continuity(records or [], audit_head, last_head)
    if problem is not None:
        return 409, {"error": "fork", "reason": problem}
    return 200, {"seq": seq, "status": "accepted"}


def seq_taken(seq: int, other_txn: str) -> tuple[int, dict[str, Any]]:
    """The answer to a payment whose seq another txn of the same kiosk already holds."""
    return 409, {"error": "conflict", "reason": f"rollback: seq {seq} belongs to txn {other_txn}"}
