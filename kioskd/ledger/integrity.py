"""The journal's integrity check: schema, audit chain, signed checkpoints, money tables.

Run at every start-up (any problem keeps the kiosk out of service) and by `kioskctl audit
verify`. Start-up recomputes the hashes from the last signed checkpoint on (`full=False`);
the links and numbering of the whole chain, every table and every checkpoint entry are
checked either way. `full=True` recomputes every hash and checks every signature.

Checkpoints are their own signed sequence: each is a chain entry of kind `checkpoint`
({n, after}: its number and the seq of the previous signed checkpoint) and a signature over
{kiosk, seq, hash, at} of that entry. A `restart` or `custody_end` entry is followed at once
by one, and a chain that holds more than installer entries (technicians added or disabled
before the first start) must hold at least one.
"""

from __future__ import annotations

import bisect
import functools
import json
import sqlite3
from collections.abc import Callable

from sqlite_utils import Database

from kioskd.ledger import casecheck, doubts, invoices, moneycheck, registercheck, schema
from kioskd.ledger.audit import GENESIS, canonical_json, kind_indexed, walk
from kioskd.ledger.chain import MoneyCheck
from kioskd.ledger.closecheck import check_close_summaries
from kioskd.ledger.records import AuditProblem

Check = Callable[[bytes, str], bool]  # message, signature -> valid

CHECKPOINT = "checkpoint"
SIGNED_AFTER = frozenset({"restart", "custody_end"})  # each is followed at once by a checkpoint
INSTALLER_KINDS = frozenset({"tech_added", "tech_disabled", "staff_added", "staff_disabled",
                             "staff_pins_keyed"})  # before the first start

# Checks of money tables against the chain: a module that adds a money table adds its check here.
TABLE_CHECKS: tuple[MoneyCheck, ...] = (moneycheck.CHECKS + casecheck.CHECKS + registercheck.CHECKS
                                        + doubts.CHECKS + invoices.CHECKS)


def checkpoint_message(kiosk: str, seq: int, digest: str, at: str) -> bytes:
    """The exact bytes a checkpoint signs."""
    return canonical_json({"kiosk": kiosk, "seq": seq, "hash": digest, "at": at}).encode("utf-8")


def check_journal(conn: sqlite3.Connection, kiosk: str, check_sig: Check, *, full: bool) -> list[AuditProblem]:
    """Every problem found; the first entry concerned first (problems naming no entry last)."""
    problems = check_schema(conn)
    problems += check_chain(conn, kiosk, check_sig, full=full)
    # the closes' open differences replay the difference entries: a full check (audit verify), not start-up's
    for table_check in TABLE_CHECKS + ((check_close_summaries,) if full else ()):
        found = table_check(conn)
        if found is not None:
            problems.append(found)
    return sorted(problems, key=lambda p: (p.seq == 0, p.seq))


def describe_problems(problems: list[AuditProblem]) -> str:
    """One line naming the first bad entry (or what is wrong) and how many more problems there are."""
    first = problems[0]
    text = (f"audit chain altered; first bad entry: {first.seq}: {first.reason}" if first.seq
            else f"journal altered: {first.reason}")
    return text + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")


@functools.cache
def shipped_schema() -> frozenset[tuple[str, str, str, str]]:
    """(type, name, table, sql) of every table, index and trigger the migrations create."""
    conn = sqlite3.connect(":memory:")
    try:
        schema.migrate(Database(conn))
        return frozenset(_schema_rows(conn))
    finally:
        conn.close()


def _schema_rows(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    return conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"
                        " WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL").fetchall()


def check_schema(conn: sqlite3.Connection) -> list[AuditProblem]:
    """The tables, indexes and triggers are exactly the shipped ones (a dropped guard is tampering)."""
    shipped = {row[1]: row for row in shipped_schema()}
    found = {row[1]: row for row in _schema_rows(conn)}
    problems = []
    for name in sorted(set(shipped) | set(found)):
        if name not in found:
            problems.append(AuditProblem(0, f"schema: {shipped[name][0]} {name} is missing", "schema_missing",
                                         {"what": shipped[name][0], "name": name}))
        elif name not in shipped:
            problems.append(AuditProblem(0, f"schema: {found[name][0]} {name} was added", "schema_added",
                                         {"what": found[name][0], "name": name}))
        elif found[name] != shipped[name]:
            problems.append(AuditProblem(0, f"schema: {found[name][0]} {name} was changed", "schema_changed",
                                         {"what": found[name][0], "name": name}))
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != schema.LATEST_VERSION:
        problems.append(AuditProblem(0, f"schema: version {version}, expected {schema.LATEST_VERSION}",
                                     "schema_version", {"version": version, "expected": schema.LATEST_VERSION}))
    return problems


def check_chain(conn: sqlite3.Connection, kiosk: str, check_sig: Check, *, full: bool) -> list[AuditProblem]:
    """Links, hashes and checkpoints of the audit chain."""
    structural = _missing_or_unlinked(conn)
    if structural is not None:
        return [structural]
    rows = conn.execute("SELECT c.seq, c.hash, c.at, c.sig, a.hash FROM audit_checkpoints c"
                        " LEFT JOIN audit a ON a.seq = c.seq ORDER BY c.seq").fetchall()
    problems = []
    start, prev = 0, GENESIS
    good = 0
    for i, (seq, signed_hash, at, sig, stored) in enumerate(rows):
        verify = full or i == len(rows) - 1
        if verify and not check_sig(checkpoint_message(kiosk, seq, signed_hash, at), sig):
            problems.append(AuditProblem(seq, f"checkpoint at entry {seq} has a bad signature", "bad_signature",
                                         {"seq": seq}))
            continue
        if stored is None:
            top = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit").fetchone()[0]
            problems.append(AuditProblem(top + 1, f"entries {top + 1}..{seq} are missing: "
                                                  f"a signed checkpoint covers entry {seq}",
                                         "signed_entries_missing", {"first": top + 1, "last": seq}))
            continue
        if stored != signed_hash:
            problems.append(AuditProblem(good + 1, f"entries {good + 1}..{seq} were rewritten: the checkpoint "
                                                   f"at entry {seq} signed a different hash",
                                         "entries_rewritten", {"first": good + 1, "last": seq}))
            continue
        good = seq
        if verify:
            start, prev = seq, signed_hash
    walked = walk(conn, 0 if full else start, GENESIS if full else prev)
    if walked is not None:
        problems.append(walked)
    problems += _checkpoint_sequence(conn, {row[0] for row in rows})
    return problems


def _missing_or_unlinked(conn: sqlite3.Connection) -> AuditProblem | None:
    """The first missing entry or broken link over the whole chain (no hashing: cheap)."""
    count, top = conn.execute("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM audit").fetchone()
    if count != top:  # seq is the primary key and >= 1: fewer rows than the top seq means a gap
        gap = conn.execute(
            "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM audit WHERE seq = 1)"
            " UNION ALL SELECT a.seq + 1 FROM audit a WHERE a.seq < ?"
            " AND NOT EXISTS (SELECT 1 FROM audit b WHERE b.seq = a.seq + 1) ORDER BY 1 LIMIT 1", (top,)).fetchone()
        return AuditProblem(gap[0], f"entry {gap[0]} is missing", "entry_missing", {"seq": gap[0]})
    unlinked = conn.execute(
        "SELECT a.seq FROM audit a LEFT JOIN audit b ON b.seq = a.seq - 1"
        " WHERE a.prev IS NOT COALESCE(b.hash, ?) ORDER BY a.seq LIMIT 1", (GENESIS,)).fetchone()
    if unlinked is not None:
        return AuditProblem(unlinked[0], f"entry {unlinked[0]} does not link to entry {unlinked[0] - 1}",
                            "entry_unlinked", {"seq": unlinked[0], "prev": unlinked[0] - 1})
    return None


def _checkpoint_sequence(conn: sqlite3.Connection, signed: set[int]) -> list[AuditProblem]:
    """Checkpoint entries numbered in order, each signed; restarts and custody ends followed by one."""
    problems = []
    ordered = sorted(signed)
    entries = conn.execute("SELECT seq, data FROM audit WHERE kind = ?" + kind_indexed() + " ORDER BY seq",
                           (CHECKPOINT,)).fetchall()
    for n, (seq, data) in enumerate(entries, 1):
        try:
            fields = json.loads(data)
        except ValueError:
            fields = {}
        index = bisect.bisect_left(ordered, seq)
        before = ordered[index - 1] if index else 0
        if fields != {"n": n, "after": before}:
            problems.append(AuditProblem(seq, f"checkpoint entry {seq} is out of sequence", "checkpoint_order",
                                         {"seq": seq}))
        if seq not in signed:
            problems.append(AuditProblem(seq, f"checkpoint entry {seq} has no signature", "checkpoint_unsigned",
                                         {"seq": seq}))
    if entries:
        first = entries[0][0]
        unsigned = conn.execute(
            "SELECT a.seq, a.kind FROM audit a WHERE a.seq > ? AND a.kind IN ('restart', 'custody_end')"
            + kind_indexed(column="a.kind") +
            " AND NOT EXISTS (SELECT 1 FROM audit b JOIN audit_checkpoints c ON c.seq = b.seq"
            "                 WHERE b.seq = a.seq + 1 AND b.kind = ?) ORDER BY a.seq LIMIT 1",
            (first, CHECKPOINT)).fetchone()
        if unsigned is not None:
            problems.append(AuditProblem(unsigned[0], f"entry {unsigned[0]} ({unsigned[1]}) is not followed by "
                                                      "a signed checkpoint", "not_followed_by_checkpoint",
                                         {"seq": unsigned[0], "kind": unsigned[1]}))
    if not signed:
        marks = ", ".join("?" * len(INSTALLER_KINDS))
        uncovered = conn.execute(f"SELECT seq, kind FROM audit WHERE kind NOT IN ({marks}) ORDER BY seq LIMIT 1",
                                 tuple(INSTALLER_KINDS)).fetchone()
        if uncovered is not None:
            problems.append(AuditProblem(uncovered[0], f"entry {uncovered[0]} ({uncovered[1]}) is not covered "
                                                       "by any signed checkpoint", "not_covered",
                                         {"seq": uncovered[0], "kind": uncovered[1]}))
    return problems
