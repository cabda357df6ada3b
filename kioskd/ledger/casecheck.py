"""The case tables checked against their chain entries (integrity.TABLE_CHECKS; see chain.py).

Every case step is a chain entry `case_<step>` written with its row ({case, no, step_id, status,
the step's data, the person}); an outcome's state and a case's status are what their latest
step says. So: steps one to one with their entries, each field equal; every outcome matches its
case's steps; every case's status, amount and payment are its steps'. The phone number is in no
entry (it is erased later): it is the one column not checked.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from kioskd.ledger.records import AuditProblem
from kioskd.ledger.tablecheck import entries
from kioskd.ledger.tablecheck import loads as _loads

STEP_KINDS = ("case_opened", "case_note", "case_count_checked", "case_recredit", "case_void", "case_refund",
              "case_writeoff", "case_closed", "case_contact_erased")
# an outcome's state, as the step that answered it says it
STATE_OF = {"requested": "requested", "credited": "done", "accepted": "done", "refused": "refused", None: "done"}


def check_case_steps(conn: sqlite3.Connection) -> AuditProblem | None:
    """Every case step equals its chain entry, one to one."""
    rows = {r[0]: r for r in conn.execute("SELECT id, case_id, step, by, status, data FROM case_steps")}
    for seq, kind, data in entries(conn, *STEP_KINDS):
        d = _loads(data)
        row = rows.pop(d.get("step_id"), None)
        if row is None:
            return AuditProblem(seq, f"entry {seq}: case step {d.get('step_id')} is missing from the case steps",
                                "case_step_missing", {"seq": seq, "step": d.get("step_id")})
        step_id, case_id, step, by, status, step_data = row
        table = {"case": case_id, "step": f"case_{step}", "by": by, "status": status, **_loads(step_data)}
        chained = {"case": d.get("case"), "step": kind, "by": d.get("by"), "status": d.get("status"),
                   **{k: d.get(k) for k in _loads(step_data)}}
        if table != chained:
            field = next(k for k in sorted(table) if table[k] != chained.get(k))
            return AuditProblem(seq, f"entry {seq}: case step {step_id} differs from the chain ({field})",
                                "case_step_differs", {"seq": seq, "step": step_id, "field": field})
    if rows:
        return AuditProblem(0, f"case step {min(rows)} has no chain entry", "case_step_unchained", {"step": min(rows)})
    return None


def check_case_outcomes(conn: sqlite3.Connection) -> AuditProblem | None:
    """Every outcome is what its steps say (kind, amount, state), and only what they say."""
    said: dict[str, dict[str, Any]] = {}
    for step, data in conn.execute("SELECT step, data FROM case_steps WHERE step IN"
                                   " ('recredit', 'void', 'refund', 'writeoff') ORDER BY id"):
        d = _loads(data)
        said[d.get("outcome", "")] = {"kind": step, "amount": d.get("amount"), "state": STATE_OF.get(d.get("state"))}
    for outcome, kind, amount, state in conn.execute("SELECT id, kind, amount, state FROM case_outcomes ORDER BY at"):
        steps = said.pop(outcome, None)
        if steps != {"kind": kind, "amount": amount, "state": state}:
            return AuditProblem(0, f"case outcome {outcome} ({kind} {state}) differs from its steps {steps}",
                                "case_outcome_differs", {"outcome": outcome})
    if said:
        return AuditProblem(0, f"case outcome {min(said)} is in the steps but not in the outcomes",
                            "case_outcome_missing", {"outcome": min(said)})
    return None


def check_cases(conn: sqlite3.Connection) -> AuditProblem | None:
    """Every case's status, payment and amount are what its steps say."""
    opened = {r[0]: _loads(r[1]) for r in conn.execute("SELECT case_id, data FROM case_steps WHERE step = 'opened'")}
    latest = dict(conn.execute("SELECT case_id, status FROM case_steps WHERE id IN"
                               " (SELECT MAX(id) FROM case_steps GROUP BY case_id)"))
    for case_id, no, txn, amount, status in conn.execute("SELECT id, no, txn, amount, status FROM cases ORDER BY no"):
        first = opened.get(case_id)
        if first is None or (first.get("txn"), first.get("amount")) != (txn, amount):
            return AuditProblem(0, f"case {no} differs from its opening step", "case_differs", {"no": no})
        if latest.get(case_id) != status:
            return AuditProblem(0, f"case {no} is {status}, its last step says {latest.get(case_id)}",
                                "case_status_differs", {"no": no})
    return None


CHECKS = (check_case_steps, check_case_outcomes, check_cases)
