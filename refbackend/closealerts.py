"""A daily close checked as its batch arrives: one that disagrees with the kiosk's count differences
raises the backend's `close_mismatch` alert for the operator (docs/spec/fleet.md).

The same replay as `kioskd-backend closes` (backend_api.opendiffs), bounded for ingest: only a batch
carrying a close is checked, and the replay reads that kiosk's difference records, never its whole
chain or its earlier closes (a close does not change what is open).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from backend_api.opendiffs import CLOSE, OPENED, RESOLVED, OpenReplay
from refbackend.sql import Sql

CLOSE_ALERT = "close_mismatch"


def raise_close_alerts(sql: Sql, kiosk: str, records: list[dict[str, Any]], received: str) -> int:
    """Check the batch's daily closes (in its transaction); store an alert for each that disagrees. How many."""
    closes = {r["seq"]: r for r in records if r.get("kind") == "audit" and r.get("type") == CLOSE}
    if not closes:
        return 0
    entries: dict[int, dict[str, Any]] = {}
    differences = sql.rows("SELECT body FROM batch_records WHERE kiosk = ? AND kind = 'audit' AND type IN (?, ?)",
                           (kiosk, OPENED, RESOLVED))  # by batch_records_by_kiosk_type: a few a month
    for row in differences:
        record = json.loads(row["body"])
        entries.setdefault(record["seq"], record)  # an entry a kiosk sent again counts once
    entries.update(closes)
    replay, raised = OpenReplay(), 0
    for seq in sorted(entries):
        record = entries[seq]
        if record["type"] == CLOSE:
            found = replay.close_disagreement(record["data"])
            if found is not None and _store(sql, kiosk, record, found, replay.mismatch_text(found), received):
                raised += 1
            continue
        replay.entry(record["type"], record["data"])
    return raised


def _store(sql: Sql, kiosk: str, close: dict[str, Any], found: dict[str, Any], reason: str, received: str) -> bool:
    """The alert of one close (its id fixed by kiosk and audit seq: a resent close raises none again)."""
    data = close["data"] if isinstance(close.get("data"), dict) else {}
    detail = {"date": data.get("date"), "seq": close["seq"], **found, "reason": reason}
    alert_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"kioskd-backend/{kiosk}/daily_close/{close['seq']}"))
    return sql.run("INSERT INTO alerts (kiosk, id, state, code, severity, at, detail, received)"
                   " VALUES (?, ?, 'raised', ?, 'critical', ?, ?, ?) ON CONFLICT DO NOTHING",
                   (kiosk, alert_id, CLOSE_ALERT, received, json.dumps(detail, ensure_ascii=False), received)) == 1
