"""Each close's open differences checked against the chain before it (`kioskctl audit verify`).

A close signs its open differences as a summary (kioskd.ledger.opendiffs), not the list. Replaying
the chain's `difference_opened` and `difference_resolved` entries up to the close gives the list it
summed: its count, total, kinds, highest number and digest must be those signed, and every
difference it lists must be open there with its kind and value. Closes signed before the summary
(their `open` a list) are left as they were.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from kioskd.ledger.audit import kind_indexed
from kioskd.ledger.opendiffs import list_digest
from kioskd.ledger.records import AuditProblem

CLOSE_KINDS = ("daily_close",)
_KINDS = ("difference_opened", "difference_resolved", *CLOSE_KINDS)


def _expected(still_open: dict[int, tuple[Any, Any]], last: int) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    for kind, value in still_open.values():
        fig = by_kind.setdefault(kind, {"count": 0, "total": 0})
        fig["count"] += 1
        fig["total"] += value
    return {"count": len(still_open), "total": sum(v for _, v in still_open.values()),
            "by_kind": {k: by_kind[k] for k in sorted(by_kind)}, "last": last,
            "digest": list_digest((no, *still_open[no]) for no in sorted(still_open))}


def _mismatch(signed: Any, still_open: dict[int, tuple[Any, Any]], last: int) -> str | None:
    """What in a close's signed summary disagrees with the replayed list; None when all agree."""
    if not isinstance(signed, dict):
        return "its open differences are neither a list nor a summary"
    expected = _expected(still_open, last)
    for key, value in expected.items():
        if signed.get(key) != value:
            return f"its open differences' {key} is {signed.get(key)!r}, the chain before it gives {value!r}"
    shown = [*signed.get("earlier", {}).get("oldest", []), *signed.get("period", {}).get("listed", [])]
    for row in shown:
        if not isinstance(row, dict) or still_open.get(row.get("no", 0)) != (row.get("kind"), row.get("value")):
            return f"it lists difference {row.get('no') if isinstance(row, dict) else row!r}, not open so"
    return None


def check_close_summaries(conn: sqlite3.Connection) -> AuditProblem | None:
    """The first close whose open differences disagree with the difference entries before it."""
    still_open: dict[int, tuple[Any, Any]] = {}
    last = 0
    for seq, kind, data_json in conn.execute(
            f"SELECT seq, kind, data FROM audit WHERE kind IN ({', '.join('?' * len(_KINDS))}){kind_indexed(_KINDS)}"
            " ORDER BY seq", _KINDS):
        try:
            data = json.loads(data_json)
        except ValueError:
            return AuditProblem(seq, f"entry {seq} ({kind}) is not JSON")
        if not isinstance(data, dict):
            return AuditProblem(seq, f"entry {seq} ({kind}) is not an object")
        if kind in _KINDS[:2]:
            no = data.get("no")
            if not isinstance(no, int):
                return AuditProblem(seq, f"entry {seq} ({kind}) names no difference number")
            if kind == "difference_opened":
                still_open[no] = (data.get("type"), data.get("value"))
                last = max(last, no)
            else:
                still_open.pop(no, None)
        else:
            registers = data.get("registers")
            signed = registers.get("open") if isinstance(registers, dict) else None
            if isinstance(signed, list):
                continue  # signed before the summary: every open difference listed
            why = _mismatch(signed, still_open, last)
            if why is not None:
                return AuditProblem(seq, f"entry {seq} ({kind}): {why}")
    return None
