"""One transaction, one SQL text for SQLite and PostgreSQL; the fleet's tables and their upgrade.

The money path (payments, batch chain) keeps its engine-specific SQL in store.py and pgstore.py;
what the operator's side adds is written once, with ? placeholders, through Sql.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

# Tables of the operator's side (docs/spec/fleet.md); portable DDL.
FLEET_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kiosk_status (kid TEXT PRIMARY KEY, report TEXT NOT NULL, received TEXT NOT NULL)",
    # Every record of every accepted batch as it came: a new record kind needs no new table.
    "CREATE TABLE IF NOT EXISTS batch_records (kiosk TEXT NOT NULL, batch_seq BIGINT NOT NULL, idx INTEGER NOT NULL,"
    " kind TEXT NOT NULL, type TEXT, at TEXT, body TEXT NOT NULL, PRIMARY KEY (kiosk, batch_seq, idx))",
    "CREATE INDEX IF NOT EXISTS batch_records_by_type ON batch_records (kind, type, at)",
    "CREATE TABLE IF NOT EXISTS operators (login TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL,"
    " enabled INTEGER NOT NULL, created TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS operator_sessions (sid TEXT PRIMARY KEY, login TEXT NOT NULL, expires TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS login_failures (client TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)",
    # Electronic invoices (docs/spec/backend-api.md, POST /v1/invoices): one per (kiosk, txn), the
    # answer kept for repeats; numbers from a one-row counter (its UPDATE serialises issuers)
    "CREATE TABLE IF NOT EXISTS invoices (kiosk TEXT NOT NULL, txn TEXT NOT NULL, payload TEXT NOT NULL,"
    " status INTEGER NOT NULL, answer TEXT NOT NULL, number TEXT UNIQUE, token TEXT UNIQUE,"
    " received TEXT NOT NULL, PRIMARY KEY (kiosk, txn))",
    "CREATE TABLE IF NOT EXISTS invoice_counter (id INTEGER PRIMARY KEY, last BIGINT NOT NULL)",
    "INSERT INTO invoice_counter (id, last) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM invoice_counter WHERE id = 1)",
    # Custody sessions as their audit records tell them (records.py keeps a row per session as
    # batches are filed): the operator's view reads these, not every audit record ever sent.
    "CREATE TABLE IF NOT EXISTS custody_sessions (kiosk TEXT NOT NULL, session TEXT NOT NULL, opened TEXT,"
    " ended TEXT, outcome TEXT, box_id TEXT, since TEXT, expected BIGINT, counted BIGINT,"
    " counterfeit BIGINT, handover TEXT, PRIMARY KEY (kiosk, session))",
    # Enrolment changes numbered by a one-row counter (its UPDATE orders them: each worker's key
    # cache asks for the kiosks changed after the last number it saw).
    "CREATE TABLE IF NOT EXISTS kiosk_changes (id INTEGER PRIMARY KEY, last BIGINT NOT NULL)",
    "INSERT INTO kiosk_changes (id, last) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM kiosk_changes WHERE id = 1)",
    # Re-credits and voids of the kiosks' cases (corrections.py): one credit stands per cash.
    "CREATE TABLE IF NOT EXISTS recredits (kiosk TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL,"
    " cash TEXT NOT NULL, account TEXT NOT NULL, amount BIGINT NOT NULL, credited INTEGER NOT NULL DEFAULT 0,"
    " status INTEGER NOT NULL, answer TEXT NOT NULL, received TEXT NOT NULL, PRIMARY KEY (kiosk, id))",
    "CREATE UNIQUE INDEX IF NOT EXISTS recredits_one_per_cash ON recredits (kiosk, cash) WHERE credited = 1",
    "CREATE TABLE IF NOT EXISTS voids (kiosk TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL,"
    " cash TEXT NOT NULL, account TEXT NOT NULL, amount BIGINT NOT NULL, accepted INTEGER NOT NULL DEFAULT 0,"
    " status INTEGER NOT NULL, answer TEXT NOT NULL, received TEXT NOT NULL, PRIMARY KEY (kiosk, id))",
    "CREATE UNIQUE INDEX IF NOT EXISTS voids_one_per_cash ON voids (kiosk, cash) WHERE accepted = 1",
)
# Columns added to the money tables of a store made before the fleet (name, table, DDL type).
ADDED_COLUMNS = (
    ("kiosks", "hall", "TEXT NOT NULL DEFAULT ''"),
    ("kiosks", "enabled", "INTEGER NOT NULL DEFAULT 1"),
    ("kiosks", "enrolled", "TEXT"),
    ("kiosks", "last_contact", "TEXT"),
    ("payments", "ended", "TEXT"),
    ("kiosks", "changed", "BIGINT NOT NULL DEFAULT 0"),  # the kiosk_changes number of its last change
    ("custody_sessions", "counterfeit", "BIGINT"),  # issue 18: counterfeit notes counted, and
    ("custody_sessions", "handover", "TEXT"),  # the handover record's digest
    ("batch_records", "record_id", "BIGINT"),  # a case step's kiosk id, and
    ("batch_records", "cash", "TEXT"),  # the cash it is about (outcomes.cash_of_record)
)
INDEXES = (
    "CREATE INDEX IF NOT EXISTS payments_by_ended ON payments (ended)",
    "CREATE INDEX IF NOT EXISTS alerts_by_state ON alerts (state, kiosk)",
    "CREATE INDEX IF NOT EXISTS kiosks_by_change ON kiosks (changed)",
    "CREATE INDEX IF NOT EXISTS payments_by_kiosk_ended ON payments (kiosk, ended)",  # what a box held
    "CREATE INDEX IF NOT EXISTS custody_by_ended ON custody_sessions (ended)",
    # a box's payment records, per session (fleetstore._BOX); by kind alone SQLite read every kiosk's
    "CREATE INDEX IF NOT EXISTS batch_records_by_kiosk ON batch_records (kiosk, kind, at)",
    # a batch's outcomes are checked against what their cash has, not every case record (outcomes.py)
    "CREATE INDEX IF NOT EXISTS batch_records_by_cash ON batch_records (kiosk, cash)",
    "CREATE INDEX IF NOT EXISTS batch_records_by_record ON batch_records (kiosk, record_id)",
    # a kiosk's records of a few types (its difference entries, as a daily close arrives: closealerts.py)
    "CREATE INDEX IF NOT EXISTS batch_records_by_kiosk_type ON batch_records (kiosk, kind, type)",
)
MAX_PARAMS = 999  # parameters per statement: SQLite before 3.32 allows no more


class Sql:
    """Statements inside one open transaction of either engine; rows come back as dicts."""

    def __init__(self, cursor: Any, postgres: bool, touches: dict[str, str] | None = None) -> None:
        self._cur, self.postgres = cursor, postgres
        self.touches = touches  # in a group transaction: kiosk -> last contact, written at its end

    def _text(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """All rows of a query."""
        return [dict(r) for r in self._cur.execute(self._text(sql), params).fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        row = self._cur.execute(self._text(sql), params).fetchone()
        return None if row is None else dict(row)

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute a statement; the number of rows it changed."""
        return self._cur.execute(self._text(sql), params).rowcount

    def many(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        """Execute a statement once per parameter tuple."""
        self._cur.executemany(self._text(sql), list(params))

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """INSERT rows: by COPY on PostgreSQL, else a few hundred per statement.

        psycopg parses a statement of more than 50 parameters anew each time (a regex over its
        text): 9% of a worker's time under the fleet mix went to its batch records' INSERTs.
        """
        if self.postgres:
            with self._cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = "(" + ", ".join("?" * len(columns)) + ")"
        step = MAX_PARAMS // len(columns)
        for start in range(0, len(rows), step):
            chunk = rows[start:start + step]
            self.run(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([marks] * len(chunk))}",
                     [value for row in chunk for value in row])

    def columns(self, table: str) -> set[str]:
        """The column names of a table."""
        if self.postgres:
            return {r["column_name"] for r in self.rows(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = ?", (table,))}
        return {r["name"] for r in self.rows(f"PRAGMA table_info({table})")}


def touch(sql: Sql, kiosk: str, received: str) -> None:
    """Record contact from a kiosk (in the transaction of what it sent; in a group, at its end)."""
    if sql.touches is not None:
        sql.touches[kiosk] = max(received, sql.touches.get(kiosk, received))
        return
    write_touches(sql, {kiosk: received})


def write_touches(sql: Sql, touches: dict[str, str]) -> None:
    """Move kiosks' last contact forward, in kiosk order (two groups lock kiosk rows in one order)."""
    if touches:
        sql.many("UPDATE kiosks SET last_contact = ? WHERE kid = ? AND (last_contact IS NULL OR last_contact < ?)",
                 [(at, kid, at) for kid, at in sorted(touches.items())])


def upgrade(sql: Sql) -> None:
    """Create the fleet's tables and add its columns to an older store (idempotent)."""
    for statement in FLEET_SCHEMA:
        sql.run(statement)
    for table, column, ddl in ADDED_COLUMNS:
        if column not in sql.columns(table):
            sql.run(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")
    ended = "payload::jsonb ->> 'ended'" if sql.postgres else "json_extract(payload, '$.ended')"
    sql.run(f"UPDATE payments SET ended = {ended} WHERE ended IS NULL")
    # case steps kept before record_id and cash existed: as file_records would set them (cash_of_record)
    record_id, txn, case = (("(body::jsonb ->> 'id')::bigint", "body::jsonb #>> '{data,txn}'", "body::jsonb ->> 'case'")
                            if sql.postgres else
                            ("json_extract(body, '$.id')", "json_extract(body, '$.data.txn')", "json_extract(body, '$.case')"))
    sql.run(f"UPDATE batch_records SET record_id = {record_id}, cash = COALESCE({txn}, 'claim:' || ({case}))"
            " WHERE kind = 'case' AND record_id IS NULL")
    for statement in INDEXES:
        sql.run(statement)
    from refbackend.records import backfill_custody  # records.py builds on this module

    backfill_custody(sql)
