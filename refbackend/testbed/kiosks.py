"""Simulated kiosks at the protocol level: their own keys, payments, status reports and batch chains."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.fields import format_utc
from backend_api.jws import sign
from refbackend.witness import record_hash

ZHANG, BLOCKED = "0012345678", "0099999999"


def ago(**delta: float) -> str:
    """RFC 3339 UTC time `delta` before now."""
    return format_utc(datetime.now(UTC) - timedelta(**delta))


@dataclass
class SimKiosk:
    """One kiosk: id, hall, key, its payment and batch sequence."""

    kid: str
    hall: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    seq: int = 0
    batch_seq: int = 0
    prev: str = "0" * 64
    audit_seq: int = 0
    audit_hash: str = "0" * 64

    def payment(self, amount: int, account: str = ZHANG, ended: str | None = None) -> dict:
        self.seq += 1
        ended = ended or ago(seconds=30)
        notes = [{"value": 5000, "at": ended}] * (amount // 5000)
        return {"type": "payment", "kiosk": self.kid, "txn": str(uuid.uuid4()), "seq": self.seq, "account": account,
                "amount": amount, "currency": "CNY", "notes": notes, "started": ended, "ended": ended}

    def status(self, notes: int, capacity: int = 1500, since: str | None = None, paper: str = "ok") -> dict:
        return {"type": "status", "kiosk": self.kid, "ts": ago(seconds=0), "state": "service_idle",
                "box": {"notes": notes, "amount": notes * 5000, "capacity": capacity,
                        "since": since or ago(days=2), "by_note": {"5000": notes} if notes else {}},
                "paper": paper, "pending": {"count": 0, "amount": 0}, "flagged": {"count": 0, "amount": 0},
                "outbox": 0, "alerts_open": 0}

    def custody_batch(self, session: str, since: str, expected: dict[int, int], counted: dict[int, int],
                      opened: str, ended: str) -> tuple[dict, str]:
        """A batch with one custody session's audit records; returns (payload, its JWS)."""
        rows = [{"value": v, "expected": expected.get(v, 0), "counted": counted.get(v, 0),
                 "diff": counted.get(v, 0) - expected.get(v, 0),
                 "verdict": "match" if counted.get(v, 0) == expected.get(v, 0) else "short"}
                for v in sorted(set(expected) | set(counted))]
        outcome = "match" if counted == expected else "mismatch"
        counts = {str(v): n for v, n in expected.items()}
        entries: list[tuple[str, str, dict]] = [
            ("custody_open", opened, {"session": session, "box_id": f"BOX-{self.kid}", "since": since,
                                      "counts": counts}),
            ("custody_count", opened, {"session": session, "rows": rows}),
            ("custody_end", ended, {"session": session, "outcome": outcome})]
        return self.audit_batch(entries)

    def audit_batch(self, entries: list[tuple[str, str, dict]]) -> tuple[dict, str]:
        """A batch with these audit entries (kind, at, data); returns (payload, its JWS)."""
        records = []
        for kind, at, data in entries:  # chained as a kiosk chains them: the backend checks each hash
            self.audit_seq += 1
            record = {"kind": "audit", "seq": self.audit_seq, "at": at, "type": kind, "data": data,
                      "prev": self.audit_hash}
            self.audit_hash = record["hash"] = record_hash(record)
            records.append(record)
        return self.batch(records)

    def batch(self, records: list[dict]) -> tuple[dict, str]:
        """The next batch of the chain with these records; returns (payload, its JWS)."""
        self.batch_seq += 1
        payload = {"type": "batch", "kiosk": self.kid, "seq": self.batch_seq, "prev": self.prev, "records": records,
                   "audit_head": {"seq": self.audit_seq, "hash": self.audit_hash}, "ts": ago(seconds=0)}
        token = sign(payload, self.key, self.kid)
        self.prev = hashlib.sha256(token.encode()).hexdigest()
        return payload, token
