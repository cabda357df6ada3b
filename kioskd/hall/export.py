"""The operator's reconciliation file (对账文件): one CSV row per payment, columns in docs/spec/registers.md."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from kioskd.ledger import TxnRecord

PAYMENT_COLUMNS = ("kiosk", "day", "seq", "txn", "account", "amount", "currency", "notes", "started", "ended",
                   "state", "ref", "reason", "opened_reason")


def payment_rows(txns: list[TxnRecord], *, kiosk: str, currency: str, tz: str) -> list[dict[str, Any]]:
    """One row per payment that took cash, in seq order; `day` is the local day it ended."""
    zone = ZoneInfo(tz)
    rows = []
    for t in sorted(txns, key=lambda t: t.seq or 0):
        day = datetime.fromisoformat(str(t.ended).replace("Z", "+00:00")).astimezone(zone).date().isoformat()
        rows.append({"kiosk": kiosk, "day": day, "seq": t.seq, "txn": t.id, "account": t.account, "amount": t.amount,
                     "currency": currency, "notes": len(t.notes), "started": t.started, "ended": t.ended,
                     "state": t.state, "ref": t.ref, "reason": t.reason,
                     "opened_reason": t.opened_reason})
    return rows


def to_csv(columns: tuple[str, ...] | list[str], rows: list[dict[str, Any]], *, header: bool = True) -> str:
    """CSV text (UTF-8, header row unless `header` is False: a later page, CRLF) with an empty field for None;
    lists and objects as JSON."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n", extrasaction="ignore")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else json.dumps(row[k], ensure_ascii=False)
                         if isinstance(row[k], (list, dict)) else row[k] for k in columns})
    return out.getvalue()


# The registers' CSV exports (kioskctl ... --csv): the columns of each, in order (docs/spec/registers.md).
REGISTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "differences": ("no", "session", "box_id", "kind", "value", "serial", "at", "status", "outcome", "explanation",
                    "ref", "claim", "by", "approved_by", "resolved", "doubt"),
    "claims": ("no", "session", "box_id", "created", "notes", "amount", "status", "serials", "vendor_ref", "remark",
               "by", "updated", "updated_by"),
    "keys": ("at", "copy", "key", "from", "from_name", "to", "to_name", "reason", "by"),
    "patrols": ("at", "by", "by_name", "via", "screen_ok", "paper_ok", "seal_ok", "note", "notes"),
    "worklog": ("seq", "at", "kind", "by", "by_name", "data", "hash"),
}


def register_rows(name: str, reply: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a register's control reply, named as REGISTER_COLUMNS[name] says."""
    if name == "differences":
        return [{**d, "no": d["id"]} for d in reply["differences"]]
    if name == "claims":
        return [{**c, "no": c["id"], "serials": [d["serial"] for d in c["differences"] if d.get("serial")]}
                for c in reply["claims"]]
    if name == "keys":
        return [{**h, "from": h["from_id"], "to": h["to_id"]} for h in reply["handovers"]]
    if name == "patrols":  # notes added afterwards: at, by, by_name, note each
        return [{**p, "notes": [{k: n[k] for k in ("at", "by", "by_name", "note")} for n in p["notes"]]}
                for p in reply["patrols"]]
    return [{**e, "by": e["data"].get("by"), "by_name": e["data"].get("by_name")} for e in reply["entries"]]
