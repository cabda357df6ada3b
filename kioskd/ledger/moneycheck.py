"""The journal's money tables checked against their chain entries (see chain.py).

Each check returns the first problem or None. They read whole tables at every start-up, so
the common case runs in SQL: an entry's stored text is compared with its row rendered as
canonical JSON by SQLite, and only the rows that differ are parsed and compared field by
field in Python (which also names the field).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from kioskd.ledger import chain
from kioskd.ledger.records import AuditProblem
from kioskd.ledger.tablecheck import entries as _entries
from kioskd.ledger.tablecheck import first_difference as _diff
from kioskd.ledger.tablecheck import loads as _loads

# The first note entry (after a seq) whose text is not its row rendered the same way.
_NOTE_MISMATCH = (
    "SELECT a.seq, a.data, n.id, CASE WHEN n.id IS NOT NULL THEN json_object('at', n.at, 'event', n.event,"
    " 'note', n.id, 'seq', t.seq, 'txn', n.txn, 'value', n.value) END AS rendered"
    " FROM audit a LEFT JOIN notes n ON n.id = json_extract(a.data, '$.note') LEFT JOIN txns t ON t.id = n.txn"
    " WHERE a.kind = ? AND a.seq > ? AND a.data IS NOT rendered ORDER BY a.seq LIMIT 1")

# In one read of the chain: how many note entries, how many distinct note rows they match, and
# the first entry whose text is not its row rendered the same way (start-up reads it every time).
_NOTE_SUMMARY = (
    "SELECT COUNT(*), COUNT(DISTINCT n.id), MIN(CASE WHEN a.data IS NOT json_object('at', n.at, 'event', n.event,"
    " 'note', n.id, 'seq', t.seq, 'txn', n.txn, 'value', n.value) THEN a.seq END)"
    " FROM audit a LEFT JOIN notes n ON n.id = json_extract(a.data, '$.note') LEFT JOIN txns t ON t.id = n.txn"
    " WHERE +a.kind = ?")  # half the chain: one pass over the table beats the kind index

# In one read of the chain, per payment named in it: its opening entries, whether it has a state entry,
# and whether its row may differ from its (first) opening entry or its latest state entry.
_TXN_CHAINED = """
    WITH chained AS (
        SELECT json_extract(data, '$.txn') AS txn, SUM(kind = 'txn_open') AS opens,
               MIN(CASE WHEN kind = 'txn_open' THEN seq END) AS open_seq,
               MAX(CASE WHEN kind = 'txn_state' THEN seq END) AS state_seq
        FROM audit WHERE kind IN ('txn_open', 'txn_state') AND kind NOT IN ('note', 'stack_intent') GROUP BY 1)
    SELECT c.txn, c.opens, c.state_seq IS NOT NULL, t.id IS NOT NULL AND (
           t.account IS NOT json_extract(o.data, '$.account') OR t.holder IS NOT json_extract(o.data, '$.holder')
        OR t.due IS NOT json_extract(o.data, '$.due') OR t.currency IS NOT json_extract(o.data, '$.currency')
        OR t.started IS NOT json_extract(o.data, '$.started')
        OR t.opened_reason IS NOT json_extract(o.data, '$.reason')
        OR (t.state = 'open' AND (t.ended IS NOT NULL OR t.balance IS NOT NULL OR t.ref IS NOT NULL
            OR t.payload IS NOT NULL OR t.reason IS NOT NULL))
        OR (c.state_seq IS NOT NULL AND s.data IS NOT json_object('amount', t.amount, 'balance', t.balance,
            'ended', t.ended, 'payload', kioskd_sha256(t.payload), 'reason', t.reason, 'ref', t.ref,
            'seq', t.seq, 'state', t.state, 'txn', t.id)))
    FROM chained c LEFT JOIN txns t ON t.id = c.txn LEFT JOIN audit o ON o.seq = c.open_seq
         LEFT JOIN audit s ON s.seq = c.state_seq"""
# Payments whose amount is not the sum of their notes.
_AMOUNT_SUSPECTS = """SELECT t.id FROM txns t LEFT JOIN (SELECT txn, SUM(value) AS total FROM notes GROUP BY txn) n
       ON n.txn = t.id WHERE t.amount IS NOT COALESCE(n.total, 0)"""


def check_notes(conn: sqlite3.Connection) -> AuditProblem | None:
    """Every note row equals its `note` entry (txn, value, time, payment seq), one to one."""
    entries, matched, first_bad = conn.execute(_NOTE_SUMMARY, (chain.NOTE,)).fetchone()
    if first_bad is None and entries == matched == conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0]:
        return None  # every entry equals a row of its own, and no row is left over
    return _note_details(conn)


def _note_details(conn: sqlite3.Connection) -> AuditProblem | None:
    """The first problem of the notes against their entries, named (read only when there is one)."""
    entries, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT json_extract(data, '$.note'))"
                                     " FROM audit WHERE kind = ?", (chain.NOTE,)).fetchone()
    if entries != distinct:
        seq = conn.execute(
            "SELECT seq FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY json_extract(data, '$.note')"
            " ORDER BY seq) AS nth FROM audit WHERE kind = ?) WHERE nth > 1 ORDER BY seq LIMIT 1",
            (chain.NOTE,)).fetchone()[0]
        return AuditProblem(seq, f"entry {seq} credits a note a second time", "note_twice", {"seq": seq})
    after = 0
    while True:  # the texts differ only on a real difference (or, in theory, another escape)
        found = conn.execute(_NOTE_MISMATCH, (chain.NOTE, after)).fetchone()
        if found is None:
            break
        seq, data, note, rendered = found
        if rendered is None:
            return AuditProblem(seq, f"entry {seq}: note {_loads(data).get('note')} is missing from the notes table",
                                "note_missing", {"seq": seq, "note": _loads(data).get("note")})
        field = _diff(_loads(data), json.loads(rendered))
        if field is not None:
            return AuditProblem(seq, f"entry {seq}: note {note} differs from the chain ({field})", "note_differs",
                                {"seq": seq, "note": note, "field": field})
        after = seq
    if conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] != entries:
        note = conn.execute("SELECT id FROM notes WHERE id NOT IN (SELECT json_extract(data, '$.note')"
                            " FROM audit WHERE kind = ?) ORDER BY id LIMIT 1", (chain.NOTE,)).fetchone()[0]
        return AuditProblem(0, f"note {note} in the notes table has no chain entry", "note_unchained", {"note": note})
    return None


def check_counters(conn: sqlite3.Connection) -> AuditProblem | None:
    """The box counters equal the notes credited since the last box change."""
    expected = dict(conn.execute(
        "SELECT value, COUNT(*) FROM notes WHERE id > COALESCE("
        " (SELECT last_note FROM box_changes ORDER BY id DESC LIMIT 1), 0) GROUP BY value"))
    counted = dict(conn.execute("SELECT value, count FROM counters WHERE count != 0"))
    if counted == expected:
        return None
    value = min(v for v in set(counted) | set(expected) if counted.get(v) != expected.get(v))
    return AuditProblem(0, f"box counters differ from the notes in the chain: {value} fen notes counted "
                           f"{counted.get(value, 0)}, credited {expected.get(value, 0)}", "counters_differ",
                        {"value": value, "counted": counted.get(value, 0), "credited": expected.get(value, 0)})


def check_box_changes(conn: sqlite3.Connection) -> AuditProblem | None:
    """Every box change (frozen counters) equals its `counters_reset` entry, one to one."""
    rows = {r[0]: r for r in conn.execute("SELECT id, box_id, at, last_note, counts FROM box_changes")}
    for seq, _, data in _entries(conn, chain.COUNTERS_RESET):
        d = _loads(data)
        row = rows.pop(d.get("change"), None)
        if row is None:
            return AuditProblem(seq, f"entry {seq}: box change {d.get('change')} is missing from the journal",
                                "box_change_missing", {"seq": seq, "change": d.get("change")})
        field = _diff(d, {"change": row[0], "box": row[1], "at": row[2], "last_note": row[3], "counts": row[4]})
        if field is not None:
            return AuditProblem(seq, f"entry {seq}: box change {row[0]} differs from the chain ({field})",
                                "box_change_differs", {"seq": seq, "change": row[0], "field": field})
    if rows:
        return AuditProblem(0, f"box change {min(rows)} has no chain entry", "box_change_unchained",
                            {"change": min(rows)})
    return None


def check_txns(conn: sqlite3.Connection) -> AuditProblem | None:
    """Every payment row equals its opening entry and its latest state entry; amounts are note sums."""
    rows, ended = conn.execute("SELECT COUNT(*), COUNT(*) FILTER (WHERE state != 'open') FROM txns").fetchone()
    conn.create_function("kioskd_sha256", 1, chain.payload_digest, deterministic=True)
    opened = distinct = stated = 0
    suspects = set()
    for txn, opens, has_state, differs in conn.execute(_TXN_CHAINED):
        opened, distinct, stated = opened + opens, distinct + (opens > 0), stated + has_state
        if differs:
            suspects.add(txn)
    suspects.update(row[0] for row in conn.execute(_AMOUNT_SUSPECTS))
    if not suspects and rows == opened == distinct and ended == stated:
        return None
    if not suspects:  # a row or an entry without its counterpart: look at every payment
        suspects = {row[0] for row in conn.execute("SELECT id FROM txns")}
    return _txn_details(conn, suspects)


def _txn_details(conn: sqlite3.Connection, suspects: set[str]) -> AuditProblem | None:
    """The first problem among the suspect payments (and entries without rows), field by field."""
    opened: dict[str, tuple[int, dict[str, Any]]] = {}
    latest: dict[str, tuple[int, dict[str, Any]]] = {}
    for seq, kind, data in _entries(conn, chain.TXN_OPEN, chain.TXN_STATE):
        d = _loads(data)
        if kind == chain.TXN_STATE:
            latest[d.get("txn")] = (seq, d)  # type: ignore[index]
            continue
        if d.get("txn") in opened:
            return AuditProblem(seq, f"entry {seq}: payment {d['txn']} is opened twice", "payment_twice",
                                {"seq": seq, "txn": d["txn"]})
        opened[d.get("txn")] = (seq, d)  # type: ignore[index]
    sums = dict(conn.execute("SELECT txn, SUM(value) FROM notes GROUP BY txn"))
    problems = []
    for row in conn.execute("SELECT id, seq, account, holder, due, currency, state, amount, started, ended,"
                            " balance, ref, reason, payload, opened_reason FROM txns"):
        found = opened.pop(row[0], None)
        problem = _txn_problem(row, found, latest.get(row[0]), sums.get(row[0], 0)) if row[0] in suspects else None
        if problem is not None:
            problems.append(problem)
    if opened:
        seq = min(s for s, _ in opened.values())
        problems.append(AuditProblem(seq, f"entry {seq}: its payment is missing from the journal", "payment_missing",
                                     {"seq": seq}))
    return min(problems, key=lambda p: (p.seq == 0, p.seq), default=None)


def _txn_problem(row: tuple[Any, ...], opened: tuple[int, dict[str, Any]] | None,
                 latest: tuple[int, dict[str, Any]] | None, note_sum: int) -> AuditProblem | None:
    txn, seq, account, holder, due, currency, state, amount, started, ended, balance, ref, reason, payload, why = row
    if opened is None:
        return AuditProblem(0, f"payment {txn} has no chain entry", "payment_unchained", {"txn": txn})
    open_seq, o = opened
    head = {"txn": txn, "account": account, "holder": holder, "due": due, "currency": currency, "started": started,
            "opened_reason": why}
    field = _diff({**{k: o.get(k) for k in head}, "opened_reason": o.get("reason")}, head)
    if field is not None:
        return AuditProblem(open_seq, f"entry {open_seq}: payment {txn} differs from the chain ({field})",
                            "payment_differs", {"seq": open_seq, "txn": txn, "field": field})
    if amount != note_sum:
        where = latest[0] if latest else open_seq
        return AuditProblem(where, f"entry {where}: payment {txn} amount {amount} is not its notes' {note_sum}",
                            "payment_sum", {"seq": where, "txn": txn, "amount": amount, "notes": note_sum})
    now = {"txn": txn, "state": state, "seq": seq, "amount": amount, "ended": ended, "balance": balance,
           "ref": ref, "reason": reason, "payload": chain.payload_digest(payload)}
    if latest is None:
        expected = {**now, "state": "open", "ended": None, "balance": None, "ref": None,
                    "reason": None, "payload": None, "seq": seq, "amount": amount}
        field = _diff(expected, now)
        where = open_seq
    else:
        where, chained = latest
        field = _diff(chained, now)
    if field is not None:
        return AuditProblem(where, f"entry {where}: payment {txn} differs from the chain ({field})",
                            "payment_differs", {"seq": where, "txn": txn, "field": field})
    return None


def check_stack_intent(conn: sqlite3.Connection) -> AuditProblem | None:
    """The note about to be stacked is the last one the chain announced and did not resolve."""
    # not by audit_kind (it leaves out stack_intent): read back from the chain's end, each note has one
    last = conn.execute("SELECT seq, kind, data FROM audit WHERE kind IN (?, ?, ?) ORDER BY seq DESC LIMIT 1",
                        (chain.STACK_INTENT, chain.STACK_CLEAR, chain.NOTE_IN_DOUBT)).fetchone()
    expected = None
    if last is not None and last[1] == chain.STACK_INTENT:
        d = _loads(last[2])
        credited = conn.execute(
            "SELECT 1 FROM audit WHERE seq > ? AND kind = ? AND json_extract(data, '$.txn') = ? LIMIT 1",
            (last[0], chain.NOTE, d.get("txn"))).fetchone()
        expected = None if credited else (d.get("txn"), d.get("value"), d.get("at"))
    row = conn.execute("SELECT txn, value, at FROM stack_intent").fetchone()
    if row == expected:
        return None
    where = last[0] if last is not None else 0
    return AuditProblem(where, f"the note about to be stacked is {row}, the chain says {expected}", "stack_intent",
                        {"seq": where})


def check_outbox_payments(conn: sqlite3.Connection) -> AuditProblem | None:
    """A payment waiting in the outbox is sent with exactly the payload its chain entry names."""
    row = conn.execute("SELECT o.key FROM outbox o LEFT JOIN txns t ON t.id = o.key"
                       " WHERE o.kind = 'payment' AND o.body IS NOT t.payload ORDER BY o.id LIMIT 1").fetchone()
    return None if row is None else AuditProblem(
        0, f"the outbox holds another payload for payment {row[0]}", "outbox_differs", {"txn": row[0]})


CHECKS = (check_notes, check_counters, check_box_changes, check_txns, check_stack_intent, check_outbox_payments)
