"""Schemas of what a case sends (backend-api.md, "When a payment goes wrong"): re-credit and
void requests, and the `case` records of a batch."""

from __future__ import annotations

import re
from typing import Any

from backend_api.fields import is_int
from refbackend.fieldchecks import check_amount, check_text, check_uuid, parse_time, require

CASE_STATUSES = frozenset({"open", "waiting", "resolved", "rejected"})
CASE_STEPS = frozenset({"opened", "note", "count_checked", "recredit", "void", "refund", "writeoff", "closed",
                        "contact_erased"})
RECREDIT_STATES = frozenset({"requested", "credited", "refused"})
VOID_STATES = frozenset({"requested", "accepted", "refused"})
_CURRENCY = re.compile(r"[A-Z]{3}")
_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # staff ids, custody sessions, boxes


def _account(value: object, name: str) -> None:
    require(isinstance(value, str) and 0 < len(value) <= 32 and value.isascii() and value.isalnum(),
            f"{name}: account number required")


def _staff(value: object, name: str) -> None:
    require(isinstance(value, str) and _ID.fullmatch(value) is not None, f"{name}: staff id required")


def _payment_ref(p: dict[str, Any], where: str, *, claim_allowed: bool) -> None:
    """`txn` and `seq` name a payment, or (re-credits only) both are null and `claim` says what was found."""
    if p["txn"] is None and claim_allowed:
        require(p["seq"] is None, f"{where}seq: null with a null txn")
        claim = p["claim"]
        require(isinstance(claim, dict) and claim.keys() == {"value", "at", "count"},
                f"{where}claim: {{value, at, count}} required when txn is null")
        check_amount(claim["value"], f"{where}claim.value")
        parse_time(claim, "at")
        require(isinstance(claim["count"], str) and _ID.fullmatch(claim["count"]) is not None,
                f"{where}claim.count: custody session id required")
        require(claim["value"] == p["amount"], f"{where}amount: differs from claim.value")
        return
    check_uuid(p["txn"], f"{where}txn")
    require(is_int(p["seq"]) and p["seq"] >= 1, f"{where}seq: integer >= 1 required")
    if claim_allowed:
        require(p["claim"] is None, f"{where}claim: null when txn names a payment")


def _common(p: dict[str, Any]) -> None:
    check_uuid(p["id"], "id")
    check_uuid(p["case"], "case")
    check_amount(p["amount"], "amount")
    require(isinstance(p["currency"], str) and _CURRENCY.fullmatch(p["currency"]) is not None,
            "currency: ISO 4217 code required")
    check_text(p["reason"], "reason")
    _staff(p["by"], "by")
    parse_time(p, "at")


def check_recredit(p: dict[str, Any]) -> None:
    """A well-formed POST /v1/recredits payload, or BadRequest."""
    _common(p)
    _payment_ref(p, "", claim_allowed=True)
    _account(p["account"], "account")


def check_void(p: dict[str, Any]) -> None:
    """A well-formed POST /v1/voids payload, or BadRequest."""
    _common(p)
    _payment_ref(p, "", claim_allowed=False)
    _account(p["account"], "account")
    _account(p["to"], "to")


def check_case_record(r: dict[str, Any], where: str) -> None:
    """A well-formed batch record of kind `case`, or BadRequest."""
    require(r.keys() == {"kind", "id", "case", "no", "step", "at", "by", "status", "data"},
            f"{where}: {{kind, id, case, no, step, at, by, status, data}} required")
    require(is_int(r["id"]) and r["id"] >= 1, f"{where}.id: integer >= 1 required")
    check_uuid(r["case"], f"{where}.case")
    require(is_int(r["no"]) and r["no"] >= 1, f"{where}.no: integer >= 1 required")
    require(r["step"] in CASE_STEPS, f"{where}.step: one of {sorted(CASE_STEPS)} required")
    require(r["status"] in CASE_STATUSES, f"{where}.status: one of {sorted(CASE_STATUSES)} required")
    parse_time(r, "at")
    _staff(r["by"], f"{where}.by")
    data = r["data"]
    require(isinstance(data, dict), f"{where}.data: object required")
    for name in ("amount",):
        if name in data:
            check_amount(data[name], f"{where}.data.{name}")
    if r["step"] in ("recredit", "void", "refund", "writeoff"):
        check_uuid(data.get("outcome"), f"{where}.data.outcome")
        check_amount(data.get("amount"), f"{where}.data.amount")
    if r["step"] == "recredit":
        require(data.get("state") in RECREDIT_STATES, f"{where}.data.state: one of {sorted(RECREDIT_STATES)}")
    if r["step"] == "void":
        require(data.get("state") in VOID_STATES, f"{where}.data.state: one of {sorted(VOID_STATES)}")
    if r["step"] == "refund":
        _staff(data.get("paid_by"), f"{where}.data.paid_by")
        _staff(data.get("approved_by"), f"{where}.data.approved_by")
        require(data["paid_by"] != data["approved_by"], f"{where}.data.approved_by: not the one who paid")
    if r["step"] == "opened":
        require(data.get("kind") in ("payment", "claim"), f"{where}.data.kind: payment or claim required")
        check_amount(data.get("amount"), f"{where}.data.amount")
    if r["step"] == "note":
        check_text(data.get("text"), f"{where}.data.text")
    if r["step"] == "count_checked":
        require(isinstance(data.get("found"), bool), f"{where}.data.found: true or false required")


DOUBT_STATES = frozenset({"in_doubt", "stacked", "not_in_box"})
_DOUBT_FIELDS = frozenset({"kind", "id", "entry", "txn", "value", "at", "recorded", "state", "settled", "by", "basis",
                           "reason", "case"})


def check_doubt_record(r: dict[str, Any], where: str) -> None:
    """A well-formed batch record of kind `doubt` (an in-doubt note recorded or settled), or BadRequest."""
    require(r.keys() == _DOUBT_FIELDS, f"{where}: {{{', '.join(sorted(_DOUBT_FIELDS))}}} required")
    for name in ("id", "entry"):
        require(is_int(r[name]) and r[name] >= 1, f"{where}.{name}: integer >= 1 required")
    check_uuid(r["txn"], f"{where}.txn")
    check_amount(r["value"], f"{where}.value")
    parse_time(r, "at")
    parse_time(r, "recorded")
    require(r["state"] in DOUBT_STATES, f"{where}.state: one of {sorted(DOUBT_STATES)} required")
    if r["state"] == "in_doubt":
        require(all(r[k] is None for k in ("settled", "by", "basis", "reason", "case")),
                f"{where}: settled, by, basis, reason and case are null while in doubt")
        return
    parse_time(r, "settled")
    _staff(r["by"], f"{where}.by")
    require(r["basis"] == "staff" or (isinstance(r["basis"], str) and r["basis"].startswith("count:")
                                       and _ID.fullmatch(r["basis"][6:]) is not None),
            f"{where}.basis: staff or count:<custody session> required")
    if r["reason"] is not None:
        check_text(r["reason"], f"{where}.reason")
    if r["state"] == "stacked":
        check_uuid(r["case"], f"{where}.case")
    else:
        require(r["case"] is None, f"{where}.case: null unless stacked")
