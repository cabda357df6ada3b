"""BackendStore on PostgreSQL (psycopg 3, sync): the same answers as SQLiteStore, safe across processes.

Several backend processes may share one database, so nothing here relies on the store's own lock:
a payment claims its (kiosk, txn) with INSERT ... ON CONFLICT DO NOTHING (a second claimant waits
on the unique index until the first commits, then reads the stored answer), the account row is
locked FOR UPDATE before its balance moves, and a kiosk's batch chain is serialised by a
transaction-scoped advisory lock.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from backend_api.jcs import canonicalize
from refbackend.corrections import superseded
from refbackend.fleetstore import FleetStore, touch
from refbackend.invoices import InvoiceStore
from refbackend.records import file_records
from refbackend.rules import batch_verdict, payment_refusal, seq_taken
from refbackend.sql import Sql, upgrade

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kiosks (kid TEXT PRIMARY KEY, public_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY, holder TEXT NOT NULL, balance BIGINT NOT NULL,
    currency TEXT NOT NULL, min BIGINT NOT NULL, max BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'blocked', 'closed', 'frozen')));
CREATE TABLE IF NOT EXISTS payments (
    id BIGSERIAL PRIMARY KEY, kiosk TEXT NOT NULL, txn TEXT NOT NULL,
    payload TEXT NOT NULL, account TEXT NOT NULL, amount BIGINT NOT NULL,
    credited BOOLEAN NOT NULL, status INTEGER NOT NULL,
    answer TEXT NOT NULL, received TEXT NOT NULL, UNIQUE (kiosk, txn));
CREATE TABLE IF NOT EXISTS alerts (
    n BIGSERIAL UNIQUE, kiosk TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, code TEXT NOT NULL,
    severity TEXT NOT NULL, at TEXT NOT NULL, detail TEXT NOT NULL, received TEXT NOT NULL,
    PRIMARY KEY (kiosk, id, state));
CREATE TABLE IF NOT EXISTS batches (
    kiosk TEXT NOT NULL, seq BIGINT NOT NULL, digest TEXT NOT NULL, jws TEXT NOT NULL,
    records INTEGER NOT NULL, audit_seq BIGINT NOT NULL, audit_hash TEXT NOT NULL,
    received TEXT NOT NULL, PRIMARY KEY (kiosk, seq));
CREATE TABLE IF NOT EXISTS ratings (
    kiosk TEXT NOT NULL, txn TEXT NOT NULL, seq BIGINT NOT NULL, rating TEXT NOT NULL,
    at TEXT NOT NULL, PRIMARY KEY (kiosk, txn));
CREATE INDEX IF NOT EXISTS payments_seq ON payments (kiosk, ((payload::jsonb ->> 'seq')::bigint));
"""
# Any constant shared by every backend process on the database: "kioskd-r" as a bigint.
_SCHEMA_LOCK = 0x6B696F736B642D72


class StoreUnavailable(OSError):
    """The PostgreSQL server cannot be reached, refused the connection, or the URL is malformed."""


class PostgresStore(FleetStore, InvoiceStore):
    """BackendStore on one PostgreSQL connection; each method one READ COMMITTED transaction."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.Lock()  # one connection: one transaction at a time per store
        self._conn = self._connect()
        try:
            with self._tx() as cur:
                # Two backends starting at once must not both run CREATE TABLE (pg_type races).
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                cur.execute(_SCHEMA)
                upgrade(Sql(cur, postgres=True))
        except psycopg.Error as err:  # e.g. no CREATE right on the schema
            self._conn.close()
            raise StoreUnavailable(f"PostgreSQL store {_redacted(url)}: creating the tables: {err}") from err

    def _connect(self) -> psycopg.Connection[dict[str, Any]]:
        try:
            return psycopg.connect(self._url, row_factory=dict_row, connect_timeout=10)
        except psycopg.Error as err:  # OperationalError: unreachable; ProgrammingError: a bad URL
            raise StoreUnavailable(f"PostgreSQL store {_redacted(self._url)}: {err}") from err

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        with self._lock:
            if self._conn.closed or self._conn.broken:
                self._conn = self._connect()  # the server restarted: a new request gets a new session
            # transaction(): COMMIT on success, ROLLBACK on any error; answers are given after COMMIT.
            with self._conn.transaction(), self._conn.cursor() as cur:
                yield cur

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        with self._tx() as cur:
            yield Sql(cur, postgres=True)

    def seed_accounts(self, accounts: Iterable[dict[str, Any]]) -> None:
        """Add accounts that are not there yet (a restart keeps balances)."""
        with self._tx() as cur:
            cur.executemany(
                "INSERT INTO accounts VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (account) DO NOTHING",
                [(a["account"], a["holder"], a["balance"], a.get("currency", "CNY"),
                  a.get("min", 100), a.get("max", 500000), a.get("status", "open")) for a in accounts],
            )

    def account(self, number: str) -> dict[str, Any] | None:
        """One account row."""
        with self._tx() as cur:
            return cur.execute("SELECT * FROM accounts WHERE account = %s", (number,)).fetchone()

    def apply_payment(self, kiosk_id: str, payload: dict[str, Any], received: str) -> tuple[int, dict[str, Any]]:
        """Credit a payment once; a repeat gets the stored answer, a changed payload 409."""
        canonical = canonicalize(payload).decode("utf-8")
        txn = payload["txn"]
        seen_sql = "SELECT payload, status, answer FROM payments WHERE kiosk = %s AND txn = %s"
        with self._tx() as cur:
            # A repeat is answered from the stored row without touching the id sequence, which
            # ON CONFLICT would advance (refs stay B-000001, B-000002, ... as on SQLite).
            seen = cur.execute(seen_sql, (kiosk_id, txn)).fetchone()
            claimed = None
            if seen is None:
                other = cur.execute(
                    "SELECT txn FROM payments WHERE kiosk = %s AND (payload::jsonb ->> 'seq')::bigint = %s",
                    (kiosk_id, payload["seq"])).fetchone()
                if other is not None:  # a kiosk put back to an older journal: never credit a seq twice
                    return seq_taken(payload["seq"], other["txn"])
                # The claim: a concurrent claimant of the same txn blocks here until this one commits,
                # then gets no row (only such a lost race leaves a gap in the refs).
                claimed = cur.execute(
                    "INSERT INTO payments (kiosk, txn, payload, account, amount, credited, status, answer, received,"
                    " ended) VALUES (%s, %s, %s, %s, %s, false, 0, '', %s, %s)"
                    " ON CONFLICT (kiosk, txn) DO NOTHING RETURNING id",
                    (kiosk_id, txn, canonical, payload["account"], payload["amount"], received, payload["ended"]),
                ).fetchone()
                if claimed is None:
                    seen = cur.execute(seen_sql, (kiosk_id, txn)).fetchone()
            if seen is not None:
                if seen["payload"] != canonical:
                    return 409, {"error": "conflict"}
                return seen["status"], json.loads(seen["answer"])
            row = cur.execute(
                "SELECT * FROM accounts WHERE account = %s FOR UPDATE", (payload["account"],)
            ).fetchone()
            refusal = payment_refusal(row, payload)
            if superseded(Sql(cur, postgres=True), kiosk_id, txn):
                refusal = "recredited"  # a case re-credited this cash: the payment never credits
            if refusal is not None:
                status, answer = 422, {"error": "rejected", "reason": refusal}
            else:
                balance = cur.execute(
                    "UPDATE accounts SET balance = balance + %s WHERE account = %s RETURNING balance",
                    (payload["amount"], payload["account"]),
                ).fetchone()["balance"]
                status = 200
                answer = {"txn": txn, "status": "credited", "balance": balance, "ref": f"B-{claimed['id']:06d}"}
            cur.execute(
                "UPDATE payments SET credited = %s, status = %s, answer = %s WHERE id = %s",
                (refusal is None, status, json.dumps(answer), claimed["id"]),
            )
            touch(Sql(cur, postgres=True), kiosk_id, received)
            return status, answer

    def record_alert(self, kiosk_id: str, payload: dict[str, Any], received: str) -> bool:
        """Store an alert state once per (id, state); True when it is new."""
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO alerts (kiosk, id, state, code, severity, at, detail, received)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (kiosk, id, state) DO NOTHING",
                (kiosk_id, payload["id"], payload["state"], payload["code"], payload["severity"],
                 payload["at"], json.dumps(payload["detail"], ensure_ascii=False), received),
            )
            new = cur.rowcount == 1
            touch(Sql(cur, postgres=True), kiosk_id, received)
            return new

    def apply_batch(self, kiosk_id: str, payload: dict[str, Any], jws: str, received: str) -> tuple[int, dict[str, Any]]:
        """Accept the next batch of the chain, or answer gap/fork; witness its audit head."""
        digest = hashlib.sha256(jws.encode("ascii")).hexdigest()
        seq = payload["seq"]
        with self._tx() as cur:
            # One chain per kiosk: a second batch of the same kiosk waits, then sees this one.
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"batches/{kiosk_id}",))
            last = cur.execute(
                "SELECT seq, digest, audit_seq, audit_hash FROM batches WHERE kiosk = %s ORDER BY seq DESC LIMIT 1",
                (kiosk_id,),
            ).fetchone()
            same = cur.execute(
                "SELECT digest FROM batches WHERE kiosk = %s AND seq = %s", (kiosk_id, seq)
            ).fetchone()
            status, answer = batch_verdict(
                seq, payload["prev"], digest, payload["audit_head"],
                None if last is None else (last["seq"], last["digest"]),
                None if same is None else same["digest"],
                None if last is None else (last["audit_seq"], last["audit_hash"]),
                payload["records"],
            )
            if status == 200 and same is None:
                head = payload["audit_head"]
                cur.execute(
                    "INSERT INTO batches VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (kiosk_id, seq, digest, jws, len(payload["records"]), head["seq"], head["hash"], received),
                )
                for r in payload["records"]:
                    if r["kind"] == "rating":  # the customer's one rating of a payment
                        cur.execute("INSERT INTO ratings VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                                   (kiosk_id, r["txn"], r["seq"], r["rating"], r["at"]))
                file_records(Sql(cur, postgres=True), kiosk_id, seq, payload["records"])
            touch(Sql(cur, postgres=True), kiosk_id, received)
            return status, answer

    def credits(self, kiosk_id: str) -> dict[str, int]:
        """Credited payments of a kiosk: txn -> amount (fen)."""
        with self._tx() as cur:
            rows = cur.execute("SELECT txn, amount FROM payments WHERE kiosk = %s AND credited", (kiosk_id,)).fetchall()
        return {row["txn"]: row["amount"] for row in rows}

    def report(self) -> dict[str, Any]:
        """Payments, totals per kiosk and UTC day, alerts, witnessed audit heads and customers' ratings."""
        with self._tx() as cur:
            payments = cur.execute(
                "SELECT kiosk, txn, account, amount, status, received, answer::jsonb ->> 'ref' AS ref,"
                " answer::jsonb ->> 'reason' AS reason FROM payments ORDER BY id").fetchall()
            totals = cur.execute(
                "SELECT kiosk, substr(payload::jsonb ->> 'ended', 1, 10) AS day, count(*) AS payments,"
                " sum(amount)::bigint AS amount FROM payments WHERE credited GROUP BY kiosk, day"
                " ORDER BY kiosk, day").fetchall()
            alerts = cur.execute("SELECT kiosk, id, code, severity, state, at FROM alerts ORDER BY at, kiosk, n").fetchall()
            heads = cur.execute(
                "SELECT DISTINCT ON (kiosk) kiosk, seq AS batch_seq, audit_seq, audit_hash FROM batches"
                " ORDER BY kiosk, seq DESC").fetchall()
            ratings = cur.execute("SELECT kiosk, txn, seq, rating, at FROM ratings ORDER BY kiosk, seq").fetchall()
        return {"payments": payments, "totals": totals, "alerts": alerts, "audit_heads": heads, "ratings": ratings}


def _redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://(unparsable URL)"
    return f"postgresql://{info.get('user', '')}@{info.get('host', '')}:{info.get('port', '')}/{info.get('dbname', '')}"
