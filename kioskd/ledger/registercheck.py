"""The register tables checked against their chain entries (integrity.TABLE_CHECKS; see chain.py).

Every register record (handover, counterfeit, difference, claim, key, patrol) is written with
its chain entry in one transaction and names it (`register_records.seq`): the two must be equal,
one to one. The money tables are then what their latest record says: a handover record and its
digest, each counterfeit's value, serial and photo, each difference's kind, value and how it was
settled, each vendor claim's amount, notes and status.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from kioskd.ledger.audit import kind_indexed
from kioskd.ledger.records import AuditProblem

AUDIT_KINDS = {"handover": ("handover",), "counterfeit": ("counterfeit", "counterfeit_photo"),
               "difference": ("difference_opened", "difference_resolved"),
               "claim": ("claim_created", "claim_compensated", "claim_rejected", "claim_bad_debt"),
               "key": ("key_handover",), "patrol": ("patrol",)}


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def check_register_records(conn: sqlite3.Connection) -> AuditProblem | None:
    """Every register record equals its chain entry, and every such entry has its record."""
    kinds = sorted({k for ks in AUDIT_KINDS.values() for k in ks})
    entries = {seq: (kind, _loads(data)) for seq, kind, data in conn.execute(
        f"SELECT seq, kind, data FROM audit WHERE kind IN ({', '.join('?' * len(kinds))}){kind_indexed(kinds)}",
        kinds)}
    for rid, kind, data, seq in conn.execute("SELECT id, kind, data, seq FROM register_records ORDER BY id"):
        entry = entries.pop(seq, None)
        if entry is None or entry[0] not in AUDIT_KINDS.get(kind, ()) or entry[1] != _loads(data):
            return AuditProblem(seq, f"entry {seq}: register record {rid} ({kind}) differs from the chain",
                                "register_differs", {"seq": seq, "record": rid, "kind": kind})
    if entries:
        first = min(entries)
        return AuditProblem(first, f"entry {first}: {entries[first][0]} has no register record", "register_missing",
                            {"seq": first, "kind": entries[first][0]})
    return None


def _latest(conn: sqlite3.Connection, kind: str) -> dict[Any, dict[str, Any]]:
    """The latest record of each `no` (or session, for handovers) of one kind."""
    out: dict[Any, dict[str, Any]] = {}
    for (data,) in conn.execute("SELECT data FROM register_records WHERE kind = ? ORDER BY id", (kind,)):
        d = _loads(data) or {}
        out[d.get("session") if kind == "handover" else d.get("no")] = d
    return out


def check_register_tables(conn: sqlite3.Connection) -> AuditProblem | None:
    """Handovers, counterfeits, differences and claims are what their latest records say."""
    said = _latest(conn, "handover")
    for session, digest, record in conn.execute("SELECT session, digest, record FROM handovers"):
        d = said.pop(session, None)
        if d is None or d.get("digest") != digest or d.get("record") != _loads(record):
            return AuditProblem(0, f"handover record of session {session} differs from its chain entry",
                                "handover_differs", {"session": session})
    said = _latest(conn, "counterfeit")
    for no, value, serial, photo in conn.execute("SELECT id, value, serial, photo FROM counterfeits"):
        d = said.pop(no, None)
        if d is None or (d.get("value"), d.get("serial"), d.get("photo")) != (value, serial, photo):
            return AuditProblem(0, f"counterfeit note {no} differs from its chain entry", "counterfeit_differs",
                                {"no": no})
    said = _latest(conn, "difference")
    for no, *row in conn.execute("SELECT id, kind, value, status, outcome, ref, claim, by, approved_by, doubt"
                                 " FROM differences"):
        d = said.pop(no, None)
        fields = ("type", "value", "status", "outcome", "ref", "claim", "by", "approved_by", "doubt")
        if d is None or [d.get(f) for f in fields] != row:
            return AuditProblem(0, f"difference {no} differs from its chain entry", "difference_differs", {"no": no})
    said = _latest(conn, "claim")
    for no, *row in conn.execute("SELECT id, amount, notes, status FROM vendor_claims"):
        d = said.pop(no, None)
        if d is None or [d.get("amount"), d.get("notes"), d.get("status")] != row:
            return AuditProblem(0, f"vendor claim {no} differs from its chain entry", "claim_differs", {"no": no})
    return None


CHECKS = (check_register_records, check_register_tables)
