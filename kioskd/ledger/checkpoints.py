"""Signed checkpoints of the audit chain, and the checks of chain + checkpoints + money tables.

The chain hash alone has no key: someone with the file could rewrite an entry and
re-hash everything after it. A checkpoint is a chain entry of kind `checkpoint` ({n, after})
and the kiosk's Ed25519 signature over {kiosk, seq, hash, at} of that entry, kept in its own
append-only table; a rewritten or truncated chain no longer matches the hashes the
checkpoints signed, and a deleted signature leaves its entry unsigned.
The ledger never holds the key: callers pass `sign` / `check` callables.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from kioskd.ledger.audit import AuditStore, append_entry, head_of, kind_indexed
from kioskd.ledger.integrity import CHECKPOINT, Check, check_journal, checkpoint_message
from kioskd.ledger.records import AuditProblem, utc_now

Sign = Callable[[bytes], str]  # message -> signature (base64url)

__all__ = ["AuditProblem", "Check", "CheckpointStore", "Sign", "checkpoint_message"]


class CheckpointStore:
    """Checkpoints on one sqlite-utils Database, next to its AuditStore."""

    def __init__(self, db: Database, audit: AuditStore, kiosk: str) -> None:
        self.db, self.audit, self.kiosk = db, audit, kiosk

    def checkpoint(self, sign: Sign) -> tuple[int, str] | None:
        """Sign the present head (a new checkpoint entry unless the head is one); None for an empty chain."""
        with self.db.atomic():
            conn = self.db.conn
            seq, digest = head_of(conn)
            if seq == 0:
                return None
            kind = conn.execute("SELECT kind FROM audit WHERE seq = ?", (seq,)).fetchone()[0]
            if kind == CHECKPOINT and conn.execute(
                    "SELECT 1 FROM audit_checkpoints WHERE seq = ?", (seq,)).fetchone() is not None:
                return seq, digest
            count = conn.execute("SELECT COUNT(*) FROM audit WHERE kind = ?" + kind_indexed(), (CHECKPOINT,)).fetchone()[0]
            after = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints").fetchone()[0]
            seq, digest = append_entry(conn, CHECKPOINT, {"n": count + 1, "after": after})
            at = utc_now()
            sig = sign(checkpoint_message(self.kiosk, seq, digest, at))
            conn.execute("INSERT INTO audit_checkpoints (seq, hash, at, sig) VALUES (?, ?, ?, ?)",
                         (seq, digest, at, sig))
        return seq, digest

    def append_checkpointed(self, kind: str, data: dict[str, Any], sign: Sign) -> tuple[int, str]:
        """Append an entry and a signed checkpoint right after it, in one transaction."""
        with self.db.atomic():
            head = self.audit.append(kind, data)
            self.checkpoint(sign)
        return head

    def last(self) -> dict[str, Any] | None:
        """The newest checkpoint row (seq, hash, at, sig)."""
        return next(iter(self.db.query("SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")), None)

    def entries(self, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Audit entries after `after` as batch records: {kind: "audit", seq, at, type, data, prev, hash}."""
        return [
            {"kind": "audit", "seq": r["seq"], "at": r["at"], "type": r["kind"],
             "data": json.loads(r["data"]), "prev": r["prev"], "hash": r["hash"]}
            for r in self.db.query("SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
        ]

    def check(self, check_sig: Check, witness: tuple[int, str] | None = None, *,
              full: bool = True) -> list[AuditProblem]:
        """Every problem in schema, chain, checkpoints and money tables, first bad entry first."""
        problems = check_journal(self.db.conn, self.kiosk, check_sig, full=full)
        if witness is not None:
            seq, digest = witness
            stored = self.db.conn.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
            if seq > 0 and (stored is None or stored[0] != digest):
                what = "is missing" if stored is None else "differs"
                problems.append(AuditProblem(seq, f"entry {seq} {what} from the head the backend witnessed",
                                             "witness_missing" if stored is None else "witness_differs",
                                             {"seq": seq}))
        return sorted(problems, key=lambda p: (p.seq == 0, p.seq))
