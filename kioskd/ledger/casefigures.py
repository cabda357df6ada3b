"""The cases' figures of a day for the daily report, and the day's cash balance; ledger thread only.

The balance is over the cash that went into the box that day (payments that ended that day, and
claimed notes a count found whose claim is dated that day) and is computed from independent
sources, so a payment counted twice (credited and refunded, two outcomes) shows:

    box (the notes) - refunds (paid at the counter) == credited + unresolved + written_off
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

TOOK_CASH = ("closed", "credited", "pending", "flagged")


def _sum(db: Database, sql: str, params: tuple[Any, ...]) -> tuple[int, int]:
    row = next(iter(db.query(f"SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM ({sql})", params)))
    return row["n"], row["total"]


def _figure(db: Database, sql: str, params: tuple[Any, ...]) -> dict[str, int]:
    count, total = _sum(db, sql, params)
    return {"count": count, "total": total}


# The day's cash: every payment that took cash and ended in [since, until) (the day it belongs to,
# docs/spec/registers.md, as at the backend), and every claim
# dated in it that a count found. `cash` is what outcomes name, `credited` whether the backend
# credited the payment itself.
_DAY_CASH = (
    "SELECT t.id AS cash, t.amount, t.state = 'credited' AS credited FROM txns t"
    " WHERE t.seq IS NOT NULL AND t.ended >= ? AND t.ended < ?"
    " UNION ALL SELECT 'claim:' || c.id, c.amount, 0 FROM cases c"
    " WHERE c.kind = 'claim' AND c.found = 1 AND c.claimed_at >= ? AND c.claimed_at < ?"
)


def balance(db: Database, since: str, until: str) -> dict[str, Any]:
    """The day's cash balance: each side from its own source; `balanced` when they agree."""
    window = (since, until, since, until)
    notes = next(iter(db.query(
        "SELECT COALESCE(SUM(n.value), 0) AS total FROM notes n JOIN txns t ON t.id = n.txn"
        " WHERE t.ended >= ? AND t.ended < ?", (since, until))))["total"]
    found = _sum(db, "SELECT amount FROM cases WHERE kind = 'claim' AND found = 1 AND claimed_at >= ?"
                     " AND claimed_at < ?", (since, until))[1]

    def outcomes(kind: str) -> int:
        return _sum(db, f"SELECT o.amount FROM case_outcomes o JOIN ({_DAY_CASH}) d ON d.cash = o.cash"
                        " WHERE o.kind = ? AND o.state = 'done'", (*window, kind))[1]

    credited = _sum(db, f"SELECT amount FROM ({_DAY_CASH}) WHERE credited", window)[1] + outcomes("recredit")
    unresolved = _sum(db, f"SELECT d.amount FROM ({_DAY_CASH}) d WHERE NOT d.credited AND NOT EXISTS ("
                          " SELECT 1 FROM case_outcomes o WHERE o.cash = d.cash AND o.state = 'done'"
                          " AND o.kind IN ('recredit', 'refund', 'writeoff'))", window)[1]
    box, refunds, written_off = notes + found, outcomes("refund"), outcomes("writeoff")
    return {"box": box, "found": found, "refunds": refunds, "credited": credited, "unresolved": unresolved,
            "written_off": written_off, "balanced": box - refunds == credited + unresolved + written_off}


def day_figures(db: Database, since: str, until: str) -> dict[str, Any]:
    """What happened to cases in [since, until), and the balance of that day's cash."""
    between = (since, until)

    def done(kind: str) -> dict[str, int]:
        return _figure(db, "SELECT amount FROM case_outcomes WHERE kind = ? AND state = 'done'"
                           " AND answered >= ? AND answered < ?", (kind, *between))

    return {
        "opened": _sum(db, "SELECT amount FROM cases WHERE opened >= ? AND opened < ?", between)[0],
        "resolved": _sum(db, "SELECT amount FROM cases WHERE status = 'resolved' AND closed >= ? AND closed < ?",
                         between)[0],
        "rejected": _sum(db, "SELECT amount FROM cases WHERE status = 'rejected' AND closed >= ? AND closed < ?",
                         between)[0],
        "open_now": _sum(db, "SELECT amount FROM cases WHERE status IN ('open', 'waiting')", ())[0],
        "recredits": done("recredit"), "voids": done("void"),
        # the counter's cash out of the day (日结: the counter is counted with it)
        "refunds": done("refund"), "writeoffs": done("writeoff"),
        "balance": balance(db, since, until),
    }


def unresolved_money(db: Database) -> dict[str, dict[str, int]]:
    """Pending and flagged payments whose cash no outcome has settled: {state: {count, amount}}."""
    money = {"pending": {"count": 0, "amount": 0}, "flagged": {"count": 0, "amount": 0}}
    for row in db.query(
            "SELECT t.state, COUNT(*) AS n, COALESCE(SUM(t.amount), 0) AS total FROM txns t"
            " WHERE t.state IN ('pending', 'flagged') AND NOT EXISTS (SELECT 1 FROM case_outcomes o"
            " WHERE o.cash = t.id AND o.state = 'done' AND o.kind IN ('recredit', 'refund', 'writeoff'))"
            " GROUP BY t.state"):
        money[row["state"]] = {"count": row["n"], "amount": row["total"]}
    return money
