"""Signed, hash-chained batches: the backend's copy of every payment, audit entry and alert.

Each batch is an outbox item (kind "batch", key = its seq as decimal text) whose body is
the exact JWS; `prev` is the SHA-256 of the previous batch's JWS string. The chain state
comes from the outbox itself (ledger `outbox_last` / `outbox_item`, done or not).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kioskd.ledger.records import utc_now
from kioskd.uplink.answers import refusal_reason
from kioskd.uplink.client import BATCHES_PATH, Answer, BackendClient
from kioskd.uplink.errors import Unreachable
from kioskd.uplink.outbox import AcceptedHook, FlaggedHook

if TYPE_CHECKING:
    from kioskd.ledger import Ledger, OutboxItem

log = logging.getLogger(__name__)

MAX_RECORDS = 1000  # spec: more go into the next batch
MAX_PAYLOAD_BYTES = 1024 * 1024 - 4096  # spec: 1 MiB of payload JSON, less the batch's own fields


def chunks(records: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The records cut into batches of at most MAX_RECORDS and about MAX_PAYLOAD_BYTES of JSON."""
    out: list[list[dict[str, Any]]] = []
    size = 0
    for record in records:
        length = len(json.dumps(record, ensure_ascii=False).encode("utf-8")) + 1
        if not out or len(out[-1]) >= MAX_RECORDS or (out[-1] and size + length > MAX_PAYLOAD_BYTES):
            out.append([])
            size = 0
        out[-1].append(record)
        size += length
    return out
GENESIS = "0" * 64


def batch_digest(jws: str) -> str:
    """Lowercase hex SHA-256 of a batch's exact JWS string (the next batch's `prev`)."""
    return hashlib.sha256(jws.encode("ascii")).hexdigest()


class BatchBuilder:
    """Cuts records into chained batches in the outbox and answers the backend's 409s."""

    def __init__(self, ledger: Ledger, client: BackendClient, *, on_flagged: FlaggedHook | None = None,
                 on_accepted: AcceptedHook | None = None) -> None:
        self.ledger = ledger
        self.client = client
        self.on_flagged = on_flagged
        self.on_accepted = on_accepted
        self._forks_told: set[str] = set()

    async def add(self, records: Sequence[dict[str, Any]], batched_head: tuple[int, str]) -> list[int]:
        """Queue `records` as one or more batches (<= 1,000 records each); returns their seqs.

        `batched_head` is the (seq, hash) of the last audit entry already batched: each batch's
        `audit_head` is its own last audit entry (or the one before it), so the backend sees every
        batch continue from the head it witnessed last.
        """
        last = await self.ledger.outbox_last("batch")
        seq, prev = (0, GENESIS) if last is None else (int(last.key), batch_digest(last.body))
        seqs = []
        audit_head = batched_head
        for chunk in chunks(records):
            seq += 1
            for record in chunk:
                if record.get("kind") == "audit":
                    audit_head = (record["seq"], record["hash"])
            payload = {
                "type": "batch", "kiosk": self.client.kiosk_id, "seq": seq, "prev": prev,
                "records": chunk,
                "audit_head": {"seq": audit_head[0], "hash": audit_head[1]}, "ts": utc_now(),
            }
            jws = self.client.sign(payload)
            await self.ledger.outbox_put("batch", str(seq), jws)
            prev = batch_digest(jws)
            seqs.append(seq)
        return seqs

    async def handle_conflict(self, item: OutboxItem, answer: Answer) -> str | None:
        """OutboxSender's batch_handler: resend from `expected` on a gap; keep a fork and alert."""
        if answer.error == "gap" and isinstance(answer.body.get("expected"), int):
            return await self._fill_gap(item, answer.body["expected"])
        if answer.error == "fork" and item.key not in self._forks_told:
            self._forks_told.add(item.key)  # one critical alert per batch, not per retry
            log.critical("batch %s: backend reports a fork; batch kept", item.key)
            if self.on_flagged:
                self.on_flagged("batch", item.key, refusal_reason(answer))
        return None  # kept: retried with backoff

    async def _fill_gap(self, item: OutboxItem, expected: int) -> str | None:
        seq = int(item.key)
        if not 1 <= expected < seq:
            log.error("batch %s: backend expects %s, which is not before it", seq, expected)
            return None
        for missing in range(expected, seq + 1):
            older = await self.ledger.outbox_item("batch", str(missing))
            if older is None:
                log.critical("batch %s: backend wants batch %s, which this kiosk no longer has", seq, missing)
                return None
            try:
                resent = await self.client.post_signed(BATCHES_PATH, older.body)
            except Unreachable as err:
                log.info("batch %s: resend of %s: %s", seq, missing, err)
                return None
            if not (resent.status == 200 and resent.body.get("status") == "accepted"):
                log.error("batch %s: resend of %s answered %s %s", seq, missing, resent.status, resent.body)
                if resent.status == 400 and self.on_flagged:  # marked done by a kioskd before the rule
                    self.on_flagged("batch", str(missing), refusal_reason(resent))
                return None
            self._accepted(str(missing))
        await self.ledger.outbox_done(item.id, f"accepted after resending from {expected}")
        return "done"

    def _accepted(self, seq: str) -> None:
        if self.on_accepted:
            self.on_accepted(seq)
