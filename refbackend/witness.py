"""The backend as the witness of a kiosk's history: batches and audit entries only go forward.

A kiosk's audit chain links each entry to the one before by hash; its signed checkpoints stop
someone with the file and no key from rewriting what they cover, but not what came after the
last one. The backend closes that gap: it keeps the audit head of the last accepted batch,
and each batch's audit records must continue from it (the first new record's `prev` is that
head's hash, each record's hash is sha256(prev + RFC 8785 of {seq, at, kind, data})), and the
batch's `audit_head` is its last record. Anything else is refused and raises an alert here.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from backend_api.fields import is_int
from backend_api.jcs import canonicalize

ZERO_HASH = "0" * 64
_HEX64 = re.compile(r"[0-9a-f]{64}")
ALERT_CODE = "kiosk_rollback"  # backend-side: the kiosk's history went back or was rewritten


def record_hash(record: dict[str, Any]) -> str:
    """The chain hash an audit record must carry."""
    entry = {"seq": record["seq"], "at": record["at"], "kind": record["type"], "data": record["data"]}
    return hashlib.sha256(record["prev"].encode("ascii") + canonicalize(entry)).hexdigest()


def _well_formed(record: dict[str, Any]) -> bool:
    return (is_int(record.get("seq")) and isinstance(record.get("at"), str) and isinstance(record.get("type"), str)
            and isinstance(record.get("data"), dict) and isinstance(record.get("prev"), str)
            and _HEX64.fullmatch(record["prev"]) is not None and isinstance(record.get("hash"), str)
            and _HEX64.fullmatch(record["hash"]) is not None)


def audit_continuity(records: list[dict[str, Any]], audit_head: dict[str, Any],
                     witnessed: tuple[int, str] | None) -> str | None:
    """Why a batch's audit records do not continue the witnessed history, or None."""
    seen_seq, seen_hash = witnessed or (0, ZERO_HASH)
    if audit_head["seq"] < seen_seq:
        return f"rollback: audit head {audit_head['seq']} is behind the witnessed {seen_seq}"
    last_seq, last_hash = seen_seq, seen_hash
    for record in (r for r in records if r.get("kind") == "audit"):
        if not _well_formed(record):
            return "an audit record is not {seq, at, type, data, prev, hash}"
        seq = record["seq"]
        if seq <= seen_seq:
            if seq == seen_seq and record["hash"] != seen_hash:
                return f"rollback: audit entry {seq} differs from the witnessed head"
            continue  # already witnessed: repeated after a crash before the kiosk moved its cursor
        if seq != last_seq + 1 or record["prev"] != last_hash:
            return f"audit entry {seq} does not continue from entry {last_seq} (the head witnessed or the one before)"
        try:
            good = record["hash"] == record_hash(record)
        except (TypeError, ValueError):
            good = False
        if not good:
            return f"audit entry {seq} does not match its hash"
        last_seq, last_hash = seq, record["hash"]
    if (audit_head["seq"], audit_head["hash"]) != (last_seq, last_hash):
        return f"audit_head is not the last audit entry carried ({last_seq})"
    return None


def refusal_alert(kiosk: str, subject: str, reason: str, at: str) -> dict[str, Any]:
    """The backend's own alert for a refused rollback or fork; one per kiosk and subject."""
    alert_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"kioskd-backend/{kiosk}/{subject}"))
    return {"id": alert_id, "code": ALERT_CODE, "severity": "critical", "state": "raised", "at": at,
            "detail": {"subject": subject, "reason": reason}}
