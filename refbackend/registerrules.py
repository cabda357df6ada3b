"""Schemas of the hall's register records a batch carries (backend-api.md, "Registers"): the
custody handover record (its digest recomputed), counterfeit notes, count differences, vendor
claims, key handovers and patrols."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from backend_api.fields import is_int
from backend_api.jcs import canonicalize
from refbackend.fieldchecks import check_amount, check_text, parse_time, require

_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # staff ids, custody sessions, boxes, key copies
_HEX64 = re.compile(r"[0-9a-f]{64}")
COMMON = {"kind", "id", "at"}
FIELDS: dict[str, frozenset[str]] = {
    "handover": frozenset(COMMON | {"session", "box_id", "digest", "record"}),
    "counterfeit": frozenset(COMMON | {"no", "session", "box_id", "value", "serial", "photo"}),
    "difference": frozenset(COMMON | {"no", "session", "box_id", "type", "value", "serial", "status", "outcome",
                                      "explanation", "ref", "claim", "by", "approved_by"}),
    "claim": frozenset(COMMON | {"no", "session", "box_id", "amount", "notes", "status", "created", "differences",
                                 "vendor_ref", "remark", "by"}),
    "key": frozenset(COMMON | {"copy", "key", "from", "to", "reason", "confirmed", "by"}),
    "patrol": frozenset(COMMON | {"no", "screen_ok", "paper_ok", "seal_ok", "note", "by"}),
}
# who acted may be named further (by_name, by_role, via, approved_by_name; uid: the control
# socket's caller as the kiosk's kernel said): kept as sent
OPTIONAL = frozenset({"by_name", "by_role", "via", "approved_by_name", "uid"})
OUTCOMES = {"over": {"case", "receipt", "surplus"}, "short": {"vendor_claim", "loss"},
            "counterfeit": {"vendor_claim", "loss"}}
CLAIM_STATUSES = frozenset({"claimed", "compensated", "rejected", "bad_debt"})


def _ident(value: object, name: str, *, null: bool = False) -> None:
    require((null and value is None) or (isinstance(value, str) and _ID.fullmatch(value) is not None),
            f"{name}: id required")


def _count(value: object, name: str) -> None:
    require(is_int(value) and value >= 1, f"{name}: integer >= 1 required")


def check_register_record(r: dict[str, Any], where: str) -> None:
    """A well-formed register record (handover, counterfeit, difference, claim, key, patrol), or BadRequest."""
    kind = r["kind"]
    missing = FIELDS[kind] - r.keys()
    require(not missing, f"{where}: missing {sorted(missing)}")
    extra = r.keys() - FIELDS[kind] - OPTIONAL - ({"by"} if kind == "counterfeit" else set()) - (
        {"doubt"} if kind == "difference" else set())
    require(not extra, f"{where}: unknown fields {sorted(extra)}")
    _count(r["id"], f"{where}.id")
    require("uid" not in r or (is_int(r["uid"]) and r["uid"] >= 0), f"{where}.uid: integer >= 0 required")
    parse_time(r, "at")
    if kind in ("handover", "counterfeit", "difference", "claim"):
        _ident(r["session"], f"{where}.session")
        _ident(r["box_id"], f"{where}.box_id")
    if kind == "handover":
        record = r["record"]
        require(isinstance(record, dict) and record.get("session") == r["session"],
                f"{where}.record: the session's handover record required")
        require(isinstance(r["digest"], str) and _HEX64.fullmatch(r["digest"]) is not None,
                f"{where}.digest: 64 lowercase hex digits required")
        require(hashlib.sha256(canonicalize(record)).hexdigest() == r["digest"],
                f"{where}.digest: not the SHA-256 of the record's JCS form")
    elif kind == "counterfeit":
        _count(r["no"], f"{where}.no")
        if "by" in r:  # sent again with its photo: who recorded it
            _ident(r["by"], f"{where}.by")
        check_amount(r["value"], f"{where}.value")
        check_text(r["serial"], f"{where}.serial", 16)
        require(r["photo"] is None or isinstance(r["photo"], str), f"{where}.photo: text or null")
    elif kind == "difference":
        _check_difference(r, where)
    elif kind == "claim":
        _count(r["no"], f"{where}.no")
        check_amount(r["amount"], f"{where}.amount")
        _count(r["notes"], f"{where}.notes")
        require(r["status"] in CLAIM_STATUSES, f"{where}.status: one of {sorted(CLAIM_STATUSES)}")
        require(isinstance(r["differences"], list) and len(r["differences"]) == r["notes"]
                and all(is_int(n) for n in r["differences"]), f"{where}.differences: one number per note")
        _ident(r["by"], f"{where}.by")
    elif kind == "key":
        require(r["key"] in ("terminal", "box"), f"{where}.key: terminal or box")
        _ident(r["copy"], f"{where}.copy")
        _ident(r["from"], f"{where}.from", null=True)
        _ident(r["to"], f"{where}.to")
        require(r["from"] != r["to"], f"{where}.to: someone else than from")
        check_text(r["reason"], f"{where}.reason", 200)
    else:  # patrol
        _count(r["no"], f"{where}.no")
        require(all(isinstance(r[c], bool) for c in ("screen_ok", "paper_ok", "seal_ok")),
                f"{where}: screen_ok, paper_ok, seal_ok: true or false")
        check_text(r["note"], f"{where}.note", 500, empty=True)
        _ident(r["by"], f"{where}.by")


def _check_difference(r: dict[str, Any], where: str) -> None:
    _count(r["no"], f"{where}.no")
    require(r["type"] in OUTCOMES, f"{where}.type: over, short or counterfeit")
    if "doubt" in r:  # the in-doubt note that explains an over
        _count(r["doubt"], f"{where}.doubt")
        require(r["type"] == "over", f"{where}.doubt: only an over is explained by an in-doubt note")
    check_amount(r["value"], f"{where}.value")
    require(r["status"] in ("open", "resolved"), f"{where}.status: open or resolved")
    if r["status"] == "open":
        require(r["outcome"] is None, f"{where}.outcome: null while open")
        return
    require(r["outcome"] in OUTCOMES[r["type"]], f"{where}.outcome: one of {sorted(OUTCOMES[r['type']])}")
    check_text(r["explanation"], f"{where}.explanation")
    _ident(r["by"], f"{where}.by")
    _ident(r["approved_by"], f"{where}.approved_by")
    require(r["by"] != r["approved_by"], f"{where}.approved_by: a second person")
    require((r["outcome"] == "vendor_claim") == is_int(r["claim"]), f"{where}.claim: the claim of a vendor_claim")
