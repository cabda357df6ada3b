"""Re-credits and voids (backend-api.md, "When a payment goes wrong"), written once for both engines.

Idempotent like payments: an (kiosk, id) is claimed with INSERT ... ON CONFLICT DO NOTHING (a
concurrent claimant on PostgreSQL waits on the key, then reads the stored answer); a repeat gets
the stored answer, a changed payload 409 conflict. One credit stands per cash: the payment `txn`,
or for a claimed note its case. Accounts are locked FOR UPDATE (PostgreSQL) in account order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from backend_api.jcs import canonicalize
from refbackend.fleet.forecast import local_day
from refbackend.outcomes import cash_lock, settled_by_batch
from refbackend.rules import payment_refusal
from refbackend.sql import Sql, touch

Answer = tuple[int, dict[str, Any]]


def cash_of(payload: dict[str, Any]) -> str:
    """The cash a re-credit or void disposes of: the payment, or the claim's case."""
    return payload["txn"] if payload["txn"] is not None else f"claim:{payload['case']}"


def superseded(sql: Sql, kiosk: str, txn: str) -> bool:
    """Whether a re-credit of the payment `txn` was credited (the payment itself is then refused)."""
    return sql.one("SELECT 1 AS x FROM recredits WHERE kiosk = ? AND cash = ? AND credited = 1", (kiosk, txn)) is not None


def apply_recredit(store: Any, kiosk: str, payload: dict[str, Any], received: str) -> Answer:
    """Credit a payment's (or a found claim's) cash to the account staff named, once."""
    with store.transaction() as sql:
        _lock(sql, cash_lock(kiosk, cash_of(payload)))  # before the claim: the one lock order (grouping.Takes)
        seen = _claim(sql, "recredits", kiosk, payload, received)
        if seen is not None:
            return seen
        answer = _recredit(sql, kiosk, payload)
        sql.run("UPDATE recredits SET credited = ?, status = ?, answer = ? WHERE kiosk = ? AND id = ?",
                (int(answer[0] == 200), answer[0], json.dumps(answer[1]), kiosk, payload["id"]))
        touch(sql, kiosk, received)
        return answer


def _recredit(sql: Sql, kiosk: str, p: dict[str, Any]) -> Answer:
    cash = cash_of(p)
    if p["txn"] is not None:
        original = sql.one("SELECT credited, answer FROM payments WHERE kiosk = ? AND txn = ?", (kiosk, p["txn"]))
        if original is not None and original["credited"]:
            return 409, {"error": "already_credited", "ref": json.loads(original["answer"]).get("ref")}
    other = sql.one("SELECT answer FROM recredits WHERE kiosk = ? AND cash = ? AND credited = 1", (kiosk, cash))
    if other is not None:
        return 409, {"error": "already_credited", "ref": json.loads(other["answer"]).get("ref")}
    settled = settled_by_batch(sql, kiosk, cash)  # paid back at the counter or written off: one outcome per cash
    if settled is not None:
        return 422, {"error": "rejected", "reason": "refunded" if settled == "refund" else "written_off"}
    [account] = _accounts(sql, p["account"])
    refusal = payment_refusal(account, p)
    if refusal is not None or account is None:  # an unknown account is a refusal too (unknown_account)
        return 422, {"error": "rejected", "reason": refusal}
    balance = account["balance"] + p["amount"]
    sql.run("UPDATE accounts SET balance = ? WHERE account = ?", (balance, p["account"]))
    return 200, {"id": p["id"], "status": "credited", "balance": balance, "ref": "R-" + p["id"][:8].upper()}


def apply_void(store: Any, kiosk: str, payload: dict[str, Any], received: str, zone: ZoneInfo) -> Answer:
    """Reverse a credited payment and credit the right account, if the rules allow; else refuse."""
    with store.transaction() as sql:
        _lock(sql, cash_lock(kiosk, payload["txn"]))  # before the claim: the one lock order (grouping.Takes)
        seen = _claim(sql, "voids", kiosk, payload, received)
        if seen is not None:
            return seen
        reason, answer = _void(sql, kiosk, payload, received, zone)
        if reason is not None:
            answer = {"id": payload["id"], "status": "refused", "reason": reason}
        sql.run("UPDATE voids SET accepted = ?, status = 200, answer = ? WHERE kiosk = ? AND id = ?",
                (int(reason is None), json.dumps(answer), kiosk, payload["id"]))
        touch(sql, kiosk, received)
        return 200, answer


def _void(sql: Sql, kiosk: str, p: dict[str, Any], received: str, zone: ZoneInfo) -> tuple[str | None, dict]:
    original = sql.one("SELECT account, amount, credited, ended, answer FROM payments WHERE kiosk = ? AND txn = ?",
                       (kiosk, p["txn"]))
    if original is None or not original["credited"]:
        return "not_credited", {}
    if (original["account"], original["amount"]) != (p["account"], p["amount"]):
        return "mismatch", {}
    if p["to"] == p["account"]:
        return "same_account", {}
    if sql.one("SELECT 1 AS x FROM voids WHERE kiosk = ? AND cash = ? AND accepted = 1", (kiosk, p["txn"])):
        return "already_voided", {}
    ended, now = datetime.fromisoformat(original["ended"]), datetime.fromisoformat(received)
    if local_day(ended, zone) != local_day(now, zone):
        return "not_same_day", {}
    wrong, right = _accounts(sql, p["account"], p["to"])
    # the wrong account must still hold the credit: not below the balance the payment left it
    left = json.loads(original["answer"]).get("balance")
    if wrong is None or (isinstance(left, int) and wrong["balance"] < left):
        return "balance", {}
    refusal = payment_refusal(right, p)
    if refusal is not None or right is None:  # an unknown account is a refusal too (unknown_account)
        return refusal or "unknown_account", {}
    sql.run("UPDATE accounts SET balance = balance - ? WHERE account = ?", (p["amount"], p["account"]))
    sql.run("UPDATE accounts SET balance = balance + ? WHERE account = ?", (p["amount"], p["to"]))
    balance = right["balance"] + p["amount"]
    return None, {"id": p["id"], "status": "accepted", "ref": "V-" + p["id"][:8].upper(), "balance": balance}


def _claim(sql: Sql, table: str, kiosk: str, p: dict[str, Any], received: str) -> Answer | None:
    """Take (kiosk, id) for this request; the stored answer (or 409 conflict) when it was taken before."""
    canonical = canonicalize(p).decode("utf-8")
    cash = cash_of(p) if table == "recredits" else p["txn"]
    seen = sql.one(f"SELECT payload, status, answer FROM {table} WHERE kiosk = ? AND id = ?", (kiosk, p["id"]))
    if seen is None:
        taken = sql.one(
            f"INSERT INTO {table} (kiosk, id, payload, cash, account, amount, status, answer, received)"
            " VALUES (?, ?, ?, ?, ?, ?, 0, '', ?) ON CONFLICT (kiosk, id) DO NOTHING RETURNING id",
            (kiosk, p["id"], canonical, cash, p["account"], p["amount"], received))
        if taken is not None:
            return None
        seen = sql.one(f"SELECT payload, status, answer FROM {table} WHERE kiosk = ? AND id = ?", (kiosk, p["id"]))
    assert seen is not None
    if seen["payload"] != canonical:
        return 409, {"error": "conflict"}
    return seen["status"], json.loads(seen["answer"])


def _accounts(sql: Sql, *numbers: str) -> list[dict[str, Any] | None]:
    """The account rows (None for an unknown one), locked in account order on PostgreSQL."""
    lock = " FOR UPDATE" if sql.postgres else ""
    rows = {n: sql.one(f"SELECT * FROM accounts WHERE account = ?{lock}", (n,)) for n in sorted(set(numbers))}
    return [rows[n] for n in numbers]


def _lock(sql: Sql, name: str) -> None:
    # SQLite runs one writer at a time (BEGIN IMMEDIATE); PostgreSQL needs the cash serialised
    if sql.postgres:
        sql.one("SELECT pg_advisory_xact_lock(hashtextextended(?, 0)) AS x", (name,))
