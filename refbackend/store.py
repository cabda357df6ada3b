"""Storage of the reference backend: the BackendStore seam and its SQLite implementation.

PostgresStore (pgstore.py) implements the same Protocol (each method one transaction, rows locked
with SELECT ... FOR UPDATE where SQLite relies on BEGIN IMMEDIATE); open_store() picks one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from backend_api.jcs import canonicalize
from refbackend.corrections import superseded
from refbackend.fleet.config import HALLS_ZONE
from refbackend.fleetstore import FleetStore
from refbackend.grouping import GroupedTransactions
from refbackend.invoices import InvoiceStore
from refbackend.records import keep_batch
from refbackend.rules import batch_verdict, payment_refusal, seq_taken
from refbackend.sql import Sql, touch, upgrade

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kiosks (kid TEXT PRIMARY KEY, public_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY, holder TEXT NOT NULL, balance INTEGER NOT NULL,
    currency TEXT NOT NULL, min INTEGER NOT NULL, max INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'blocked', 'closed', 'frozen')));
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kiosk TEXT NOT NULL, txn TEXT NOT NULL,
    payload TEXT NOT NULL, account TEXT NOT NULL, amount INTEGER NOT NULL,
    credited INTEGER NOT NULL CHECK (credited IN (0, 1)), status INTEGER NOT NULL,
    answer TEXT NOT NULL, received TEXT NOT NULL, UNIQUE (kiosk, txn));
CREATE TABLE IF NOT EXISTS alerts (
    kiosk TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, code TEXT NOT NULL,
    severity TEXT NOT NULL, at TEXT NOT NULL, detail TEXT NOT NULL, received TEXT NOT NULL,
    PRIMARY KEY (kiosk, id, state));
CREATE TABLE IF NOT EXISTS batches (
    kiosk TEXT NOT NULL, seq INTEGER NOT NULL, digest TEXT NOT NULL, jws TEXT NOT NULL,
    records INTEGER NOT NULL, audit_seq INTEGER NOT NULL, audit_hash TEXT NOT NULL,
    received TEXT NOT NULL, PRIMARY KEY (kiosk, seq));
CREATE TABLE IF NOT EXISTS ratings (
    kiosk TEXT NOT NULL, txn TEXT NOT NULL, seq BIGINT NOT NULL, rating TEXT NOT NULL,
    at TEXT NOT NULL, PRIMARY KEY (kiosk, txn));
CREATE INDEX IF NOT EXISTS payments_seq ON payments (kiosk, json_extract(payload, '$.seq'));
"""


class BackendStore(Protocol):
    """What the reference backend needs from storage; each method is one transaction."""

    def enroll(self, kiosk_id: str, public_key_b64url: str, hall: str | None = None, at: str | None = None) -> None: ...
    def transaction(self) -> AbstractContextManager[Sql]: ...
    def group(self) -> AbstractContextManager[None]: ...
    def lock_first(self, names: Sequence[str], accounts: Sequence[str]) -> None: ...
    def set_enabled(self, kiosk_id: str, enabled: bool) -> bool: ...
    def kiosk(self, kiosk_id: str) -> dict[str, Any] | None: ...
    def kiosks(self, hall: str | None = None) -> list[dict[str, Any]]: ...
    def kiosk_changes(self, since: int) -> tuple[int, list[dict[str, Any]]]: ...
    def public_key(self, kiosk_id: str) -> str | None: ...
    def record_status(self, kiosk_id: str, payload: dict[str, Any], received: str) -> None: ...
    def fleet_rows(self, hall: str | None = None) -> dict[str, list[dict[str, Any]]]: ...
    def payments_ended(self, start: str, end: str, hall: str | None = None) -> list[dict[str, Any]]: ...
    def credited_between(self, kiosk_id: str, start: str | None, end: str) -> int: ...
    def audit_records(self, types: tuple[str, ...], kiosk: str | None = None) -> list[dict[str, Any]]: ...
    def custody_sessions(self, kiosk: str | None = None, ended: tuple[str, str] | None = None,
                         last_only: bool = False) -> list[dict[str, Any]]: ...
    def seed_accounts(self, accounts: Iterable[dict[str, Any]]) -> None: ...
    def account(self, number: str) -> dict[str, Any] | None: ...
    def apply_payment(self, kiosk_id: str, payload: dict[str, Any], received: str) -> tuple[int, dict[str, Any]]: ...
    def record_alert(self, kiosk_id: str, payload: dict[str, Any], received: str) -> bool: ...
    def apply_batch(self, kiosk_id: str, payload: dict[str, Any], jws: str, received: str) -> tuple[int, dict[str, Any]]: ...
    def credits(self, kiosk_id: str) -> dict[str, int]: ...
    def issue_invoice(self, kiosk_id: str, payload: dict[str, Any], received: str,
                      base_url: str, zone: ZoneInfo) -> tuple[int, dict[str, Any]]: ...
    def receipt_facts(self, kiosk_id: str, txn: str) -> dict[str, Any] | None: ...
    def invoice_facts(self, token: str) -> dict[str, Any] | None: ...
    def report(self, zone: ZoneInfo = ...) -> dict[str, Any]: ...
    def close(self) -> None: ...


def is_postgres_url(target: object) -> bool:
    """Whether a --db argument names a PostgreSQL database rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def open_store(target: Path | str) -> BackendStore:
    """A PostgresStore for a postgresql:// URL, else a SQLiteStore on that file."""
    if is_postgres_url(target):
        from refbackend.pgstore import PostgresStore  # psycopg loads only when asked for

        return PostgresStore(str(target))
    return SQLiteStore(Path(target))


class SQLiteStore(GroupedTransactions, FleetStore, InvoiceStore):
    """BackendStore on one SQLite file (WAL, synchronous=FULL); thread-safe by one lock."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        # timeout: other worker processes on the same file wait for the write lock, not fail
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # an answered credit survives power loss
        self._db.executescript(_SCHEMA)
        with self.transaction() as sql:
            upgrade(sql)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _open_tx(self) -> _Transaction:
        return _Transaction(self._db, self._lock)

    def seed_accounts(self, accounts: Iterable[dict[str, Any]]) -> None:
        """Add accounts that are not there yet (a restart keeps balances)."""
        with self._tx() as db:
            for a in accounts:
                db.execute(
                    "INSERT OR IGNORE INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (a["account"], a["holder"], a["balance"], a.get("currency", "CNY"),
                     a.get("min", 100), a.get("max", 500000), a.get("status", "open")),
                )

    def account(self, number: str) -> dict[str, Any] | None:
        """One account row."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM accounts WHERE account = ?", (number,)).fetchone()
        return None if row is None else dict(row)

    def apply_payment(self, kiosk_id: str, payload: dict[str, Any], received: str) -> tuple[int, dict[str, Any]]:
        """Credit a payment once; a repeat gets the stored answer, a changed payload 409."""
        canonical = canonicalize(payload).decode("utf-8")
        txn = payload["txn"]
        with self._tx() as db:
            seen = db.execute(
                "SELECT payload, status, answer FROM payments WHERE kiosk = ? AND txn = ?", (kiosk_id, txn)
            ).fetchone()
            if seen is not None:
                if seen["payload"] != canonical:
                    return 409, {"error": "conflict"}
                return seen["status"], json.loads(seen["answer"])
            other = db.execute("SELECT txn FROM payments WHERE kiosk = ? AND json_extract(payload, '$.seq') = ?",
                               (kiosk_id, payload["seq"])).fetchone()
            if other is not None:  # a kiosk put back to an older journal: never credit a seq twice
                return seq_taken(payload["seq"], other["txn"])
            row = db.execute("SELECT * FROM accounts WHERE account = ?", (payload["account"],)).fetchone()
            refusal = payment_refusal(None if row is None else dict(row), payload)
            if superseded(self._sql(db), kiosk_id, txn):
                refusal = "recredited"  # a case re-credited this cash: the payment never credits
            cur = db.execute(
                "INSERT INTO payments (kiosk, txn, payload, account, amount, credited, status, answer,"
                " received, ended) VALUES (?, ?, ?, ?, ?, ?, 0, '', ?, ?)",
                (kiosk_id, txn, canonical, payload["account"], payload["amount"], int(refusal is None), received,
                 payload["ended"]),
            )
            touch(self._sql(db), kiosk_id, received)
            if refusal is not None:
                status, answer = 422, {"error": "rejected", "reason": refusal}
            else:
                balance = row["balance"] + payload["amount"]
                db.execute("UPDATE accounts SET balance = ? WHERE account = ?", (balance, payload["account"]))
                status = 200
                answer = {"txn": txn, "status": "credited", "balance": balance, "ref": f"B-{cur.lastrowid:06d}"}
            db.execute("UPDATE payments SET status = ?, answer = ? WHERE id = ?",
                       (status, json.dumps(answer), cur.lastrowid))
            return status, answer

    def record_alert(self, kiosk_id: str, payload: dict[str, Any], received: str) -> bool:
        """Store an alert state once per (id, state); True when it is new."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (kiosk_id, payload["id"], payload["state"], payload["code"], payload["severity"],
                 payload["at"], json.dumps(payload["detail"], ensure_ascii=False), received),
            )
            touch(self._sql(db), kiosk_id, received)
            return cur.rowcount == 1

    def apply_batch(self, kiosk_id: str, payload: dict[str, Any], jws: str, received: str) -> tuple[int, dict[str, Any]]:
        """Accept the next batch of the chain, or answer gap/fork; witness its audit head."""
        digest = hashlib.sha256(jws.encode("ascii")).hexdigest()
        seq = payload["seq"]
        with self._tx() as db:
            last = db.execute(
                "SELECT seq, digest, audit_seq, audit_hash FROM batches WHERE kiosk = ? ORDER BY seq DESC LIMIT 1",
                (kiosk_id,),
            ).fetchone()
            same = db.execute("SELECT digest FROM batches WHERE kiosk = ? AND seq = ?", (kiosk_id, seq)).fetchone()
            status, answer = batch_verdict(
                seq, payload["prev"], digest, payload["audit_head"],
                None if last is None else (last["seq"], last["digest"]),
                None if same is None else same["digest"],
                None if last is None else (last["audit_seq"], last["audit_hash"]),
                payload["records"],
            )
            if status == 200 and same is None:  # a new batch: kept, unless a cash of it gets a second outcome
                refusal = keep_batch(self._sql(db), kiosk_id, payload, digest, jws, received)
                if refusal is not None:
                    status, answer = 400, refusal
            touch(self._sql(db), kiosk_id, received)
            return status, answer

    def credits(self, kiosk_id: str) -> dict[str, int]:
        """Credited payments of a kiosk: txn -> amount (fen)."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT txn, amount FROM payments WHERE kiosk = ? AND credited = 1", (kiosk_id,)
            ).fetchall()
        return {row["txn"]: row["amount"] for row in rows}

    def report(self, zone: ZoneInfo = HALLS_ZONE) -> dict[str, Any]:
        """Payments, credited per kiosk and local day (`zone`), alerts, witnessed audit heads, ratings."""
        with self._tx() as db:
            payments = [dict(r) for r in db.execute(
                "SELECT kiosk, txn, account, amount, status, received, json_extract(answer, '$.ref') AS ref,"
                " json_extract(answer, '$.reason') AS reason FROM payments ORDER BY id")]
            alerts = [dict(r) for r in db.execute(
                "SELECT kiosk, id, code, severity, state, at FROM alerts ORDER BY at, kiosk")]
            heads = [dict(r) for r in db.execute(
                "SELECT kiosk, max(seq) AS batch_seq, audit_seq, audit_hash FROM batches GROUP BY kiosk")]
            ratings = [dict(r) for r in db.execute(
                "SELECT kiosk, txn, seq, rating, at FROM ratings ORDER BY kiosk, seq")]
        return {"payments": payments, "totals": self.credited_days(zone), "alerts": alerts, "audit_heads": heads,
                "ratings": ratings}


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT under the store's lock; ROLLBACK on error."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self.db, self.lock = db, lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()
