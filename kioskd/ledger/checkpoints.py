"""Signed checkpoints of the audit chain and the full check of chain + checkpoints.

The chain hash alone has no key: someone with the file could rewrite an entry and
re-hash everything after it. A checkpoint is the kiosk's Ed25519 signature over
{kiosk, seq, hash, at} of the head at that moment, kept in its own append-only table;
a rewritten or truncated chain no longer matches the hashes the checkpoints signed.
The ledger never holds the key: callers pass `sign` / `check` callables.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kioskd.ledger.audit import GENESIS, AuditStore, canonical_json, chain_hash
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import utc_now

Sign = Callable[[bytes], str]  # message -> signature (base64url)
Check = Callable[[bytes, str], bool]  # message, signature -> valid

# Entries of these kinds are written together with a checkpoint at their own seq.
CHECKPOINTED_KINDS = frozenset({"custody_end"})


@dataclass(frozen=True)
class AuditProblem:
    """Something wrong in the audit record; `seq` is the first entry it concerns."""

    seq: int
    reason: str


def checkpoint_message(kiosk: str, seq: int, digest: str, at: str) -> bytes:
    """The exact bytes a checkpoint signs."""
    return canonical_json({"kiosk": kiosk, "seq": seq, "hash": digest, "at": at}).encode("utf-8")


class CheckpointStore:
    """Checkpoints on one sqlite-utils Database, next to its AuditStore."""

    def __init__(self, db: Database, audit: AuditStore, kiosk: str) -> None:
        self.db, self.audit, self.kiosk = db, audit, kiosk

    def checkpoint(self, sign: Sign) -> tuple[int, str] | None:
        """Sign the present head (once per seq); returns it, or None for an empty chain."""
        with self.db.atomic():
            seq, digest = self.audit.head()
            if seq == 0:
                return None
            if next(iter(self.db.query("SELECT 1 FROM audit_checkpoints WHERE seq = ?", (seq,))), None):
                return seq, digest
            at = utc_now()
            sig = sign(checkpoint_message(self.kiosk, seq, digest, at))
            self.db.execute(
                "INSERT INTO audit_checkpoints (seq, hash, at, sig) VALUES (?, ?, ?, ?)", (seq, digest, at, sig)
            )
        return seq, digest

    def append_checkpointed(self, kind: str, data: dict[str, Any], sign: Sign) -> tuple[int, str]:
        """Append an entry and sign a checkpoint at it, in one transaction."""
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

    def check(self, check_sig: Check, witness: tuple[int, str] | None = None) -> list[AuditProblem]:
        """Every problem found, first bad entry first; empty when chain and checkpoints hold."""
        hashes: dict[int, str] = {}
        kinds: dict[int, str] = {}
        problems = _walk_chain(self.db, hashes, kinds)
        problems += self._check_checkpoints(check_sig, hashes, kinds)
        if witness is not None:
            seq, digest = witness
            if seq > 0 and hashes.get(seq) != digest:
                what = "is missing" if seq not in hashes else "differs"
                problems.append(AuditProblem(seq, f"entry {seq} {what} from the head the backend witnessed"))
        return sorted(problems, key=lambda p: p.seq)

    def _check_checkpoints(self, check_sig: Check, hashes: dict[int, str],
                           kinds: dict[int, str]) -> list[AuditProblem]:
        problems: list[AuditProblem] = []
        good_upto, top = 0, max(hashes, default=0)
        signed: set[int] = set()
        for cp in self.db.query("SELECT * FROM audit_checkpoints ORDER BY seq"):
            seq = cp["seq"]
            message = checkpoint_message(self.kiosk, seq, cp["hash"], cp["at"])
            if not check_sig(message, cp["sig"]):
                problems.append(AuditProblem(seq, f"checkpoint at entry {seq} has a bad signature"))
                continue
            signed.add(seq)
            if seq not in hashes:
                if seq > top:
                    problems.append(AuditProblem(
                        top + 1, f"entries {top + 1}..{seq} are missing: a signed checkpoint covers entry {seq}"))
                continue
            if hashes[seq] != cp["hash"]:
                problems.append(AuditProblem(
                    good_upto + 1,
                    f"entries {good_upto + 1}..{seq} were rewritten: the checkpoint at entry {seq} "
                    f"signed a different hash"))
                continue
            good_upto = seq
        for seq, kind in kinds.items():
            if kind in CHECKPOINTED_KINDS and seq not in signed:
                problems.append(AuditProblem(seq, f"entry {seq} ({kind}) has no signed checkpoint"))
        return problems


def _walk_chain(db: Database, hashes: dict[int, str], kinds: dict[int, str]) -> list[AuditProblem]:
    """Walk the chain; fill seq -> hash (and kind) of the entries that hold; stop at the first bad one."""
    prev, expected = GENESIS, 1
    for row in db.query("SELECT * FROM audit ORDER BY seq"):
        seq = row["seq"]
        if seq != expected:
            return [AuditProblem(expected, f"entry {expected} is missing (the next entry is {seq})")]
        if row["prev"] != prev:
            return [AuditProblem(seq, f"entry {seq} does not link to entry {seq - 1}")]
        try:
            entry = {"seq": seq, "at": row["at"], "kind": row["kind"], "data": json.loads(row["data"])}
            good = row["hash"] == chain_hash(prev, entry)
        except (ValueError, LedgerError):
            good = False
        if not good:
            return [AuditProblem(seq, f"entry {seq} does not match its hash (edited)")]
        hashes[seq], kinds[seq] = row["hash"], row["kind"]
        prev, expected = row["hash"], expected + 1
    return []
