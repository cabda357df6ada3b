"""Hash-chained audit entries, synchronous; run only on the ledger's own thread.

hash(n) = sha256(hash(n-1) hex + canonical JSON of {"seq", "at", "kind", "data"}),
with 64 zeros before the first entry. Canonical JSON here is RFC 8785 for the values
we allow (strings, integers up to 2**53, booleans, null, lists, objects with ASCII keys):
sorted keys, no spaces, UTF-8. Floats are refused, as everywhere money is near.

The `data` column holds the canonical JSON text of `data`, so an entry's hash can be
recomputed by joining text (no parsing): that keeps the start-up walk fast.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import AuditProblem, utc_now

GENESIS = "0" * 64
_MAX_SAFE_INT = 2**53 - 1  # RFC 8785 numbers are doubles: larger integers would not round-trip
# audit_kind (migration 20) leaves out the two kinds written for every note, its stack intent and its
# credit, so neither commit writes a page of it. SQLite uses a partial index only in a query that
# repeats its condition: a query by other kinds adds kind_indexed(); those two are found by seq.
UNINDEXED_KINDS = frozenset({"note", "stack_intent"})


def kind_indexed(kinds: Iterable[str] = (), column: str = "kind") -> str:
    """' AND <column> NOT IN (...)': audit_kind's own condition; '' when `kinds` names one it leaves out."""
    if UNINDEXED_KINDS.intersection(kinds):
        return ""
    return f" AND {column} NOT IN ('note', 'stack_intent')"


def canonical_json(value: Any) -> str:
    """Sorted-key, separator-tight JSON of `value` (RFC 8785 for what we allow); floats refused."""
    _refuse_non_canonical(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _json_string(text: str) -> str:
    # our times and kinds need no escapes: skip json.dumps for them (the start-up walk is hot)
    if text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    return json.dumps(text, ensure_ascii=False)


def entry_text(seq: int, at: str, kind: str, data_json: str) -> str:
    """The canonical JSON of an entry, from its columns (data already canonical JSON text)."""
    return '{"at":' + _json_string(at) + ',"data":' + data_json + ',"kind":' + _json_string(kind) + ',"seq":' + str(seq) + "}"


def note_data_json(note: int | None, txn: str, value: int, at: str, event: str, seq: int | None) -> str:
    """canonical_json of a note entry's data, built directly: one per note credited (the hot path)."""
    numbers = (note, value) if seq is None else (note, value, seq)
    if not (all(type(n) is int and abs(n) <= _MAX_SAFE_INT for n in numbers)
            and type(txn) is str and type(at) is str and type(event) is str):
        # anything unusual takes the general path, which refuses what is not canonical
        return canonical_json({"note": note, "txn": txn, "value": value, "at": at, "event": event, "seq": seq})
    return ('{"at":' + _json_string(at) + ',"event":' + _json_string(event) + ',"note":' + str(note)
            + ',"seq":' + ("null" if seq is None else str(seq)) + ',"txn":' + _json_string(txn)
            + ',"value":' + str(value) + "}")


def entry_hash(prev: str, seq: int, at: str, kind: str, data_json: str) -> str:
    """The chain hash of an entry given its columns."""
    return hashlib.sha256((prev + entry_text(seq, at, kind, data_json)).encode("utf-8")).hexdigest()


def chain_hash(prev: str, entry: dict[str, Any]) -> str:
    """The chain hash of `entry` ({seq, at, kind, data}) following the entry whose hash is `prev`."""
    return hashlib.sha256((prev + canonical_json(entry)).encode("utf-8")).hexdigest()


def head_of(conn: sqlite3.Connection) -> tuple[int, str]:
    """(seq, hash) of the newest entry; (0, 64 zeros) when there is none."""
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS) if row is None else (row[0], row[1])


def append_entry(conn: sqlite3.Connection, kind: str, data: dict[str, Any] | str, *,
                 head: tuple[int, str] | None = None, at: str | None = None) -> tuple[int, str]:
    """Insert the next entry in the caller's transaction (after `head`, read if not given); (seq, hash).

    `data` may come as its canonical JSON text already (note_data_json); `at`, when the caller has
    just taken the time for the row the entry describes.
    """
    data_json = data if isinstance(data, str) else canonical_json(data)
    seq, prev = head_of(conn) if head is None else head
    seq += 1
    at = at or utc_now()
    try:
        digest = entry_hash(prev, seq, at, kind, data_json)
    except UnicodeEncodeError as err:  # a lone surrogate: not text that UTF-8 can carry
        raise LedgerError(f"audit data strings must be valid Unicode: {err}") from err
    conn.execute("INSERT INTO audit (seq, at, kind, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?)",
                 (seq, at, kind, data_json, prev, digest))
    return seq, digest


def walk(conn: sqlite3.Connection, after: int = 0, prev: str = GENESIS,
         seen: dict[int, tuple[str, str]] | None = None) -> AuditProblem | None:
    """Recompute every hash after entry `after` (whose hash is `prev`); the first problem or None.

    `seen`, when given, is filled with seq -> (kind, hash) of the entries that hold.
    """
    expected = after + 1
    sha256 = hashlib.sha256
    for seq, at, kind, data_json, stored_prev, digest in conn.execute(
            "SELECT seq, at, kind, data, prev, hash FROM audit WHERE seq > ? ORDER BY seq", (after,)):
        if seq != expected:
            return AuditProblem(expected, f"entry {expected} is missing (the next entry is {seq})", "entry_missing",
                                {"seq": expected})
        if stored_prev != prev:
            return AuditProblem(seq, f"entry {seq} does not link to entry {seq - 1}", "entry_unlinked",
                                {"seq": seq, "prev": seq - 1})
        try:
            good = digest == sha256((prev + entry_text(seq, at, kind, data_json)).encode("utf-8")).hexdigest()
        except (AttributeError, TypeError, UnicodeEncodeError):  # a column of the wrong type
            good = False
        if not good:
            return AuditProblem(seq, f"entry {seq} does not match its hash (edited)", "entry_edited", {"seq": seq})
        if seen is not None:
            seen[seq] = (kind, digest)
        prev, expected = digest, expected + 1
    return None


class AuditStore:
    """The audit chain on one sqlite-utils Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def append(self, kind: str, data: dict[str, Any]) -> tuple[int, str]:
        """Append one entry (its own transaction, or the caller's); returns its (seq, hash)."""
        with self.db.atomic():
            return append_entry(self.db.conn, kind, data)

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the newest entry; (0, 64 zeros) when there is none."""
        return head_of(self.db.conn)

    def entry_head(self, seq: int) -> tuple[int, str]:
        """(seq, hash) of entry `seq`; (0, 64 zeros) for 0."""
        if seq == 0:
            return 0, GENESIS
        row = self.db.conn.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise LedgerError(f"audit entry {seq} does not exist")
        return seq, row[0]

    def verify(self) -> int | None:
        """Seq of the first entry whose link or hash is wrong; None when the chain holds."""
        problem = walk(self.db.conn)
        return None if problem is None else problem.seq


def _refuse_non_canonical(value: Any) -> None:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return
    if kind is int:
        if abs(value) > _MAX_SAFE_INT:
            raise LedgerError(f"audit data integers must be within 2**53 - 1, got {value}")
    elif kind is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                raise LedgerError(f"audit data keys must be ASCII strings, got {key!r}")
            _refuse_non_canonical(item)
    elif kind is list or kind is tuple:
        for item in value:
            _refuse_non_canonical(item)
    elif kind is float:
        raise LedgerError(f"audit data may not hold floats ({value!r}); use integer minor units")
    else:
        raise LedgerError(f"audit data may not hold {kind.__name__} ({value!r})")
