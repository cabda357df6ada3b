"""Each kiosk's daily closes checked against its count differences, from its batches' audit records.

A close signs its open differences as a summary; replaying the kiosk's difference entries up to it
(backend_api.opendiffs, the kiosk's `audit verify` does the same) gives what it must say
(docs/spec/fleet.md, `kioskd-backend closes`).
"""

from __future__ import annotations

from typing import Any

from backend_api.opendiffs import CLOSE, KINDS, OpenReplay
from refbackend.store import BackendStore


def close_checks(store: BackendStore, kiosk: str | None = None) -> list[dict[str, Any]]:
    """One row per daily close: kiosk, seq, date, open count and total, and `ok`, `list` or what disagrees."""
    by_kiosk: dict[str, dict[int, dict[str, Any]]] = {}
    for record in store.audit_records(KINDS, kiosk):
        by_kiosk.setdefault(record["kiosk"], {}).setdefault(record["seq"], record)  # a resent entry counts once
    rows = []
    for kid in sorted(by_kiosk):
        replay = OpenReplay()
        for seq in sorted(by_kiosk[kid]):
            record = by_kiosk[kid][seq]
            why = replay.entry(record["type"], record["data"])
            if record["type"] != CLOSE and why is None:
                continue
            data = record["data"] if isinstance(record["data"], dict) else {}
            signed = (data.get("registers") or {}).get("open")
            count: Any
            total: Any
            if isinstance(signed, list):  # signed before the summary: every open difference listed
                count, total = len(signed), sum(d.get("value", 0) for d in signed if isinstance(d, dict))
            else:
                count, total = (signed.get("count"), signed.get("total")) if isinstance(signed, dict) else (None, None)
            rows.append({"kiosk": kid, "seq": seq, "type": record["type"], "date": data.get("date"),
                         "count": count, "total": total,
                         "verdict": why or ("list" if isinstance(signed, list) else "ok")})
    return rows
