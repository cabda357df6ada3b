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
from zoneinfo import ZoneInfo

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from backend_api.jcs import canonicalize
from refbackend.fleet.config import HALLS_ZONE
from refbackend.fleetstore import FleetStore
from refbackend.grouping import GroupedTransactions
from refbackend.invoices import InvoiceStore
from refbackend.outcomes import cash_lock
from refbackend.records import keep_batch
from refbackend.rules import batch_verdict, payment_refusal, seq_taken
from refbackend.sql import Sql, touch, upgrade

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


class PostgresStore(GroupedTransactions, FleetStore, InvoiceStore):
    """BackendStore on PostgreSQL, a connection per thread; each method one READ COMMITTED transaction (or a group's)."""

    POSTGRES = True

    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.Lock()  # guards _conns
        self._conns: list[psycopg.Connection[dict[str, Any]]] = []  # every thread's, for close()
        self._local = threading.local()  # .conn: this thread's connection (store threads run groups side by side)
        try:
            with self._tx() as cur:
                # Two backends starting at once must not both run CREATE TABLE (pg_type races).
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                cur.execute(_SCHEMA)
                upgrade(Sql(cur, postgres=True))
        except psycopg.Error as err:  # e.g. no CREATE right on the schema
            self.close()
            raise StoreUnavailable(f"PostgreSQL store {_redacted(url)}: creating the tables: {err}") from err

    def _connection(self) -> psycopg.Connection[dict[str, Any]]:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:  # first use, or the server restarted: a new session
            try:
                conn = psycopg.connect(self._url, row_factory=dict_row, connect_timeout=10)
            except psycopg.Error as err:  # OperationalError: unreachable; ProgrammingError: a bad URL
                raise StoreUnavailable(f"PostgreSQL store {_redacted(self._url)}: {err}") from err
            self._local.conn = conn
            with self._lock:
                self._conns = [c for c in self._conns if not c.closed] + [conn]
        return conn

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns = []

    @contextmanager
    def _open_tx(self) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        conn = self._connection()
        # transaction(): COMMIT on success, ROLLBACK on any error; answers are given after COMMIT.
        with conn.transaction(), conn.cursor() as cur:
            yield cur

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
        """Credit a payment once; a repeat gets the stored answer, a changed payload 409.

        Three statements in two round trips: the cash's lock with the claim (which also reads the
        account, locked, and whether a re-credit took this cash), then both writes in one.
        """
        canonical = canonicalize(payload).decode("utf-8")
        txn = payload["txn"]
        with self._tx() as cur:
            claimed, seen, seq_holder, account, recredited = self._claim_payment(cur, kiosk_id, payload, canonical,
                                                                                 received)
            if seen is not None:
                if seen["payload"] != canonical:
                    return 409, {"error": "conflict"}
                return seen["status"], json.loads(seen["answer"])
            if seq_holder is not None:  # a kiosk put back to an older journal: never credit a seq twice
                return seq_taken(payload["seq"], seq_holder)
            refusal = "recredited" if recredited else payment_refusal(account, payload)  # a case re-credited this cash
            balance = 0
            if refusal is not None or account is None:
                status, answer = 422, {"error": "rejected", "reason": refusal}
            else:
                # the row is locked: its balance is the one this credit moves
                status, balance = 200, account["balance"] + payload["amount"]
                answer = {"txn": txn, "status": "credited", "balance": balance, "ref": f"B-{claimed:06d}"}
            cur.execute("WITH credit AS (UPDATE accounts SET balance = %(balance)s WHERE account = %(account)s"
                        " AND %(credited)s) UPDATE payments SET credited = %(credited)s, status = %(status)s,"
                        " answer = %(answer)s WHERE id = %(id)s",
                        {"balance": balance, "account": payload["account"], "credited": refusal is None, "status": status,
                         "answer": json.dumps(answer), "id": claimed})
            touch(self._sql(cur), kiosk_id, received)
            return status, answer

    @staticmethod
    def _claim_payment(cur: psycopg.Cursor[dict[str, Any]], kiosk_id: str, payload: dict[str, Any], canonical: str,
                       received: str) -> tuple[int | None, dict[str, Any] | None, str | None, dict[str, Any] | None, bool]:
        """(the new row's id, None, None, the account locked, re-credited) for a first payment,
        (None, the stored row, None, ...) for a repeat, or (None, None, the txn that holds its seq, ...)
        for a new txn with a seq already credited.

        A repeat is answered from the stored row without touching the id sequence (refs stay
        B-000001, B-000002, ... as on SQLite): the INSERT only runs when no row was seen. A
        concurrent claimant of the same txn waits on the unique key until this one commits, then
        inserts nothing and reads the stored row (only such a lost race leaves a gap in the refs).
        The cash's lock comes first, in a statement of its own (the claim's snapshot then sees a
        re-credit committed meanwhile): a re-credit of this txn (corrections.py) takes it too, so
        the two never both credit the cash.
        """
        conn = cur.connection
        with conn.pipeline():  # one round trip
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (cash_lock(kiosk_id, payload["txn"]),))
            row = cur.execute(
                "WITH seen AS (SELECT payload, status, answer FROM payments WHERE kiosk = %(kiosk)s AND txn = %(txn)s),"
                " taken AS (SELECT txn FROM payments WHERE kiosk = %(kiosk)s"
                " AND (payload::jsonb ->> 'seq')::bigint = %(seq)s AND txn <> %(txn)s LIMIT 1),"
                " claim AS (INSERT INTO payments (kiosk, txn, payload, account, amount, credited, status, answer,"
                " received, ended) SELECT %(kiosk)s, %(txn)s, %(payload)s, %(account)s, %(amount)s, false, 0, '',"
                " %(received)s, %(ended)s WHERE NOT EXISTS (SELECT 1 FROM seen) AND NOT EXISTS (SELECT 1 FROM taken)"
                " ON CONFLICT (kiosk, txn) DO NOTHING RETURNING id),"
                " locked AS (SELECT balance, currency, max, status FROM accounts WHERE account = %(account)s FOR UPDATE)"
                " SELECT (SELECT id FROM claim) AS id, (SELECT txn FROM taken) AS taken, seen.*,"
                " locked.balance AS account_balance, locked.currency AS account_currency, locked.max AS account_max,"
                " locked.status AS account_status, EXISTS (SELECT 1 FROM recredits WHERE kiosk = %(kiosk)s"
                " AND cash = %(txn)s AND credited = 1) AS recredited"  # corrections.superseded()
                " FROM (SELECT 1) AS one LEFT JOIN seen ON true LEFT JOIN locked ON true",
                {"kiosk": kiosk_id, "txn": payload["txn"], "seq": payload["seq"], "payload": canonical,
                 "account": payload["account"], "amount": payload["amount"], "received": received,
                 "ended": payload["ended"]},
            ).fetchone()
        assert row is not None  # FROM (SELECT 1): always one row
        account = None if row["account_status"] is None else {
            "balance": row["account_balance"], "currency": row["account_currency"], "max": row["account_max"],
            "status": row["account_status"]}
        if row["id"] is not None:
            return row["id"], None, None, account, row["recredited"]
        if row["payload"] is None and row["taken"] is not None:
            return None, None, row["taken"], account, False
        if row["payload"] is None:  # lost the race: the other claimant's row is committed now
            row = cur.execute("SELECT payload, status, answer FROM payments WHERE kiosk = %s AND txn = %s",
                              (kiosk_id, payload["txn"])).fetchone()
        return None, row, None, account, False

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
            touch(self._sql(cur), kiosk_id, received)
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
            if status == 200 and same is None:  # a new batch: kept, unless a cash of it gets a second outcome
                refusal = keep_batch(self._sql(cur), kiosk_id, payload, digest, jws, received)
                if refusal is not None:
                    status, answer = 400, refusal
            touch(self._sql(cur), kiosk_id, received)
            return status, answer

    def credits(self, kiosk_id: str) -> dict[str, int]:
        """Credited payments of a kiosk: txn -> amount (fen)."""
        with self._tx() as cur:
            rows = cur.execute("SELECT txn, amount FROM payments WHERE kiosk = %s AND credited", (kiosk_id,)).fetchall()
        return {row["txn"]: row["amount"] for row in rows}

    def report(self, zone: ZoneInfo = HALLS_ZONE) -> dict[str, Any]:
        """Payments, credited per kiosk and local day (`zone`), alerts, witnessed audit heads, ratings."""
        with self._tx() as cur:
            payments = cur.execute(
                "SELECT kiosk, txn, account, amount, status, received, answer::jsonb ->> 'ref' AS ref,"
                " answer::jsonb ->> 'reason' AS reason FROM payments ORDER BY id").fetchall()
            alerts = cur.execute("SELECT kiosk, id, code, severity, state, at FROM alerts ORDER BY at, kiosk, n").fetchall()
            heads = cur.execute(
                "SELECT DISTINCT ON (kiosk) kiosk, seq AS batch_seq, audit_seq, audit_hash FROM batches"
                " ORDER BY kiosk, seq DESC").fetchall()
            ratings = cur.execute("SELECT kiosk, txn, seq, rating, at FROM ratings ORDER BY kiosk, seq").fetchall()
        return {"payments": payments, "totals": self.credited_days(zone), "alerts": alerts, "audit_heads": heads,
                "ratings": ratings}


def _redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://(unparsable URL)"
    return f"postgresql://{info.get('user', '')}@{info.get('host', '')}:{info.get('port', '')}/{info.get('dbname', '')}"
