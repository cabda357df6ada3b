"""What the next batch must carry: cursors over payments, audit entries, alerts and ratings.

Cursors live in the meta table. A payment goes into a batch once its status is final
(credited or flagged, or pending with its cash re-credited by a case); payments are batched in seq order, so a pending one holds the
later ones back until it is answered. Cursors move only after the batch is queued, so a
crash in between repeats records in the next batch (the backend stores records by
their ids) rather than losing them.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlite_utils import Database

from kioskd.ledger.records import OutboxItem

CURSORS = ("batched_payment_seq", "batched_audit_seq", "batched_alert_id", "batched_rating_id",
           "batched_case_step_id",
           "batched_invoice_id", "batched_register_id", "batched_doubt_entry")
FINAL = ("credited", "flagged")


def jws_payload(token: str) -> dict[str, Any]:
    """The JSON payload of a compact JWS (already verified when it was made)."""
    part = token.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return payload


class BatchLog:
    """Batch cursors and record queries on one sqlite-utils Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def cursors(self) -> dict[str, int]:
        """The cursors (0 when never batched)."""
        rows = {r["key"]: r["value"] for r in self.db.query(
            f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(CURSORS))})", CURSORS)}
        return {key: int(rows.get(key, 0)) for key in CURSORS}

    def set_cursors(self, cursors: dict[str, int]) -> None:
        """Move the cursors (one atomic write)."""
        with self.db.atomic():
            for key, value in cursors.items():
                if key not in CURSORS:
                    raise ValueError(f"unknown batch cursor {key!r}")
                self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))

    def payments_after(self, seq: int, limit: int) -> list[dict[str, Any]]:
        """Final payments after `seq`, in seq order, stopping at the first one not final."""
        out: list[dict[str, Any]] = []
        for row in self.db.query(
            "SELECT id, seq, state, payload, balance, ref, reason, EXISTS (SELECT 1 FROM case_outcomes o"
            " WHERE o.cash = txns.id AND o.kind = 'recredit' AND o.state = 'done') AS recredited FROM txns"
            " WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)):
            # a pending payment whose cash a case re-credited will never be answered: final as it is
            if (row["state"] not in FINAL and not row["recredited"]) or row["payload"] is None:
                break
            # the payment exactly as signed and sent to /v1/payments, with its final status
            out.append({**jws_payload(row["payload"]), "kind": "payment", "status": row["state"],
                        "balance": row["balance"], "ref": row["ref"], "reason": row["reason"]})
        return out

    def alerts_after(self, item_id: int, limit: int) -> list[dict[str, Any]]:
        """Alert changes (as queued for /v1/alerts) after outbox id `item_id`."""
        return [
            {"kind": "alert", "outbox_id": r["id"], **json.loads(r["body"])}
            for r in self.db.query(
                "SELECT id, body FROM outbox WHERE kind = 'alert' AND id > ? ORDER BY id LIMIT ?",
                (item_id, limit))
        ]

    def last(self, kind: str) -> OutboxItem | None:
        """The newest item of `kind`, done or not."""
        row = next(iter(self.db.query(
            "SELECT id, kind, key, body, tries, next_try FROM outbox WHERE kind = ?"
            " ORDER BY id DESC LIMIT 1", (kind,))), None)
        return None if row is None else OutboxItem(**row)

    def item(self, kind: str, key: str) -> OutboxItem | None:
        """The item (kind, key), done or not."""
        row = next(iter(self.db.query(
            "SELECT id, kind, key, body, tries, next_try FROM outbox WHERE kind = ? AND key = ?",
            (kind, key))), None)
        return None if row is None else OutboxItem(**row)
