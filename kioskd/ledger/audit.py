"""Hash-chained audit entries, synchronous; run only on the ledger's own thread.

hash(n) = sha256(hash(n-1) hex + canonical JSON of {"seq", "at", "kind", "data"}),
with 64 zeros before the first entry. Canonical JSON here is RFC 8785 for the values
we allow (strings, integers, booleans, null, lists, objects): sorted keys, no spaces,
UTF-8. Floats are refused, as everywhere money is near.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlite_utils import Database

from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import utc_now

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted-key, separator-tight JSON of `value`; floats are refused."""
    _refuse_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev: str, entry: dict[str, Any]) -> str:
    """The chain hash of `entry` following the entry whose hash is `prev`."""
    return hashlib.sha256((prev + canonical_json(entry)).encode("utf-8")).hexdigest()


class AuditStore:
    """The audit chain on one sqlite-utils Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def append(self, kind: str, data: dict[str, Any]) -> tuple[int, str]:
        """Append one entry; returns its (seq, hash)."""
        data_json = canonical_json(data)
        with self.db.atomic():
            seq, prev = self.head()
            entry = {"seq": seq + 1, "at": utc_now(), "kind": kind, "data": data}
            digest = chain_hash(prev, entry)
            self.db.execute(
                "INSERT INTO audit (seq, at, kind, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?)",
                (entry["seq"], entry["at"], kind, data_json, prev, digest),
            )
        return seq + 1, digest

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the newest entry; (0, 64 zeros) when there is none."""
        row = next(iter(self.db.query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")), None)
        return (0, GENESIS) if row is None else (row["seq"], row["hash"])

    def verify(self) -> int | None:
        """Seq of the first entry whose link or hash is wrong; None when the chain holds."""
        prev, expected_seq = GENESIS, 1
        for row in self.db.query("SELECT * FROM audit ORDER BY seq"):
            try:
                data = json.loads(row["data"])
                entry = {"seq": row["seq"], "at": row["at"], "kind": row["kind"], "data": data}
                good = (
                    row["seq"] == expected_seq
                    and row["prev"] == prev
                    and row["hash"] == chain_hash(prev, entry)
                )
            except (ValueError, LedgerError):
                good = False
            if not good:
                return int(row["seq"])
            prev, expected_seq = row["hash"], expected_seq + 1
        return None


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise LedgerError(f"audit data may not hold floats ({value!r}); use integer minor units")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise LedgerError(f"audit data keys must be strings, got {key!r}")
            _refuse_floats(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _refuse_floats(item)
