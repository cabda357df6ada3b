"""The kiosks' cases as their batches tell them, what a cash box is known to hold, and each
kiosk's day balance (docs/spec/fleet.md, "Differences and the day's balance")."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from refbackend.store import BackendStore

FINAL = {"recredit": "credited", "void": "accepted", "refund": None, "writeoff": None}  # the state that stands
SETTLING = ("recredit", "refund", "writeoff")  # outcomes that dispose of cash not credited


@dataclass
class Case:
    """One case, from its steps: what it is about, where it stands, what became of its cash."""

    kiosk: str
    id: str
    no: int
    kind: str = "payment"
    txn: str | None = None
    amount: int = 0
    claimed_at: str | None = None
    opened: str | None = None
    closed: str | None = None
    status: str = "open"
    session: str | None = None  # the custody count a claim was checked against
    found: bool = False
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)  # outcome id -> {kind, state, amount, at}

    @property
    def cash(self) -> str:
        """What outcomes name: the payment, or the claimed note."""
        return self.txn or f"claim:{self.id}"

    def final(self) -> list[dict[str, Any]]:
        """The outcomes that stand."""
        return [o for o in self.outcomes.values() if FINAL[o["kind"]] in (None, o["state"])]


def case_books(store: BackendStore) -> dict[str, dict[str, Case]]:
    """kiosk -> case id -> Case, from every `case` record of accepted batches (a repeated record once)."""
    with store.transaction() as sql:
        rows = sql.rows("SELECT kiosk, body FROM batch_records WHERE kind = 'case' ORDER BY kiosk, batch_seq, idx")
    books: dict[str, dict[str, Case]] = defaultdict(dict)
    seen: set[tuple[str, int]] = set()
    for row in rows:
        r = json.loads(row["body"])
        if (row["kiosk"], r["id"]) in seen:
            continue
        seen.add((row["kiosk"], r["id"]))
        case = books[row["kiosk"]].setdefault(r["case"], Case(row["kiosk"], r["case"], r["no"]))
        _apply(case, r)
    return books


def _apply(case: Case, r: dict[str, Any]) -> None:
    data, step = r["data"], r["step"]
    if step == "opened":
        case.kind, case.txn, case.amount, case.opened = data.get("kind", "payment"), data.get("txn"), \
            data.get("amount", 0), r["at"]
        case.claimed_at = data.get("claimed_at")
    elif step == "count_checked":
        case.session, case.found = data.get("session"), bool(data.get("found"))
    elif step in FINAL:
        state = data.get("state") or "done"
        case.outcomes[data["outcome"]] = {"kind": step, "state": state, "amount": data.get("amount", 0), "at": r["at"]}
    if r["status"] in ("resolved", "rejected") and case.status not in ("resolved", "rejected"):
        case.closed = r["at"]
    case.status = r["status"]


def _payment_records(store: BackendStore, start: str, end: str) -> dict[tuple[str, str], dict]:
    """(kiosk, txn) -> the kiosk's payment record (as batched) of payments that ended in [start, end)."""
    with store.transaction() as sql:
        rows = sql.rows("SELECT kiosk, body FROM batch_records WHERE kind = 'payment' AND at >= ? AND at < ?",
                        (start, end))
    return {(r["kiosk"], body["txn"]): body for r in rows for body in [json.loads(r["body"])]}


def _backend_payments(store: BackendStore, start: str, end: str) -> dict[tuple[str, str], dict]:
    """(kiosk, txn) -> {amount, credited} of payments the backend received that ended in [start, end)."""
    with store.transaction() as sql:
        rows = sql.rows("SELECT kiosk, txn, amount, credited FROM payments WHERE ended >= ? AND ended < ?",
                        (start, end))
    return {(r["kiosk"], r["txn"]): {"amount": int(r["amount"]), "credited": bool(r["credited"])} for r in rows}


def _recredited(store: BackendStore) -> dict[tuple[str, str], int]:
    """(kiosk, cash) -> fen the backend re-credited."""
    with store.transaction() as sql:
        rows = sql.rows("SELECT kiosk, cash, amount FROM recredits WHERE credited = 1")
    return {(r["kiosk"], r["cash"]): int(r["amount"]) for r in rows}


def day_balances(store: BackendStore, start: str, end: str, books: dict[str, dict[str, Case]]) -> dict[str, dict]:
    """kiosk -> its day balance: the cash of its payments that ended in [start, end) and claims dated in it."""
    recredited = _recredited(store)
    received = _backend_payments(store, start, end)
    cash: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # kiosk -> cash id -> {amount, credited}
    for (kiosk, txn), record in _payment_records(store, start, end).items():
        credited = received.get((kiosk, txn), {}).get("credited", False)
        cash[kiosk][txn] = {"amount": sum(n["value"] for n in record["notes"]), "credited": credited, "found": 0}
    for kiosk, book in books.items():
        for c in book.values():
            if c.kind == "claim" and c.found and start <= (c.claimed_at or "") < end:
                cash[kiosk][c.cash] = {"amount": c.amount, "credited": False, "found": c.amount}
    return {kiosk: _balance(kiosk, units, books.get(kiosk, {}), recredited) for kiosk, units in cash.items()}


def _balance(kiosk: str, units: dict[str, dict[str, Any]], book: dict[str, Case],
             recredited: dict[tuple[str, str], int]) -> dict[str, Any]:
    by_cash: dict[str, list[dict[str, Any]]] = defaultdict(list)  # a payment may have had several cases
    for c in book.values():
        by_cash[c.cash] += c.final()
    outcome: defaultdict[str, int] = defaultdict(int)
    settled: set[str] = set()
    for cash_id in units:
        for o in by_cash.get(cash_id, []):
            outcome[o["kind"]] += o["amount"]
            if o["kind"] in SETTLING:
                settled.add(cash_id)
    box = sum(u["amount"] for u in units.values())
    credited = sum(u["amount"] for u in units.values() if u["credited"])
    credited += sum(recredited.get((kiosk, cash_id), 0) for cash_id in units)
    unresolved = sum(u["amount"] for cash_id, u in units.items()
                     if not u["credited"] and (kiosk, cash_id) not in recredited and cash_id not in settled)
    refunds, written_off = outcome["refund"], outcome["writeoff"]
    return {"box": box, "found": sum(u["found"] for u in units.values()), "refunds": refunds, "credited": credited,
            "unresolved": unresolved, "written_off": written_off,
            "balanced": box - refunds == credited + unresolved + written_off}
