"""Re-credits and voids at the reference backend (SQLite and PostgreSQL): credited once, refused
by the rules, idempotent per id, and the original payment of a re-credited cash never credits."""

from __future__ import annotations

import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jws import sign
from kioskd.ledger.records import utc_now
from refbackend import ReferenceBackend
from tests.uplink.support import BLOCKED, KIOSK, ZHANG, payment_payload

LI = "0023456789"  # 李*华, owes 8800 fen
UNKNOWN = "0000000001"


def balance(backend: ReferenceBackend, number: str) -> int:
    return backend.store.account(number)["balance"]


def today_payment(account_no: str = ZHANG, amount: int = 5000) -> dict[str, Any]:
    """A payment that ended now (voids are allowed on the day the payment ended)."""
    now = utc_now()
    return {**payment_payload(amount=amount, account_no=account_no), "started": now, "ended": now,
            "notes": [{"value": 5000, "at": now}] * (amount // 5000)}


def recredit(payment: dict[str, Any] | None, account_no: str, amount: int | None = None, **change: Any) -> dict:
    payload = {"type": "recredit", "kiosk": KIOSK, "id": str(uuid.uuid4()), "case": str(uuid.uuid4()),
               "txn": payment["txn"] if payment else None, "seq": payment["seq"] if payment else None,
               "claim": None, "account": account_no,
               "amount": amount if amount is not None else payment["amount"], "currency": "CNY",
               "reason": "account closed during the payment", "by": "2001", "at": utc_now()}
    return {**payload, **change}


def void(payment: dict[str, Any], to: str, **change: Any) -> dict:
    payload = {"type": "void", "kiosk": KIOSK, "id": str(uuid.uuid4()), "case": str(uuid.uuid4()),
               "txn": payment["txn"], "seq": payment["seq"], "account": payment["account"], "to": to,
               "amount": payment["amount"], "currency": "CNY", "reason": "typed the neighbour's number",
               "by": "2001", "at": utc_now()}
    return {**payload, **change}


async def test_a_refused_payment_is_recredited_once_to_the_right_account(
        post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    refused = payment_payload(amount=10000, account_no=BLOCKED)
    assert (await post("v1/payments", sign(refused, key, KIOSK)))[0] == 422
    before = balance(backend, LI)
    body = recredit(refused, LI)
    status, answer = await post("v1/recredits", sign(body, key, KIOSK))
    assert status == 200 and answer["status"] == "credited" and answer["ref"].startswith("R-")
    assert balance(backend, LI) == before + 10000 == answer["balance"]
    # the same request again: the same answer, nothing credited twice
    assert await post("v1/recredits", sign(body, key, KIOSK)) == (200, answer)
    assert balance(backend, LI) == before + 10000
    # the same id with another payload, and a second re-credit of the same cash: refused
    assert await post("v1/recredits", sign({**body, "account": ZHANG}, key, KIOSK)) == (409, {"error": "conflict"})
    status, second = await post("v1/recredits", sign(recredit(refused, ZHANG), key, KIOSK))
    assert (status, second) == (409, {"error": "already_credited", "ref": answer["ref"]})
    assert balance(backend, LI) == before + 10000


async def test_a_pending_payment_recredited_is_refused_if_it_arrives_later(
        post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    never_arrived = payment_payload(amount=5000)
    assert (await post("v1/recredits", sign(recredit(never_arrived, LI), key, KIOSK)))[0] == 200
    zhang = balance(backend, ZHANG)
    status, answer = await post("v1/payments", sign(never_arrived, key, KIOSK))
    assert (status, answer) == (422, {"error": "rejected", "reason": "recredited"})
    assert balance(backend, ZHANG) == zhang


async def test_a_payment_credited_after_all_is_not_recredited(post, key: Ed25519PrivateKey,
                                                               backend: ReferenceBackend) -> None:
    credited = payment_payload(amount=5000)
    status, answer = await post("v1/payments", sign(credited, key, KIOSK))
    assert status == 200
    li = balance(backend, LI)
    assert await post("v1/recredits", sign(recredit(credited, LI), key, KIOSK)) == (
        409, {"error": "already_credited", "ref": answer["ref"]})
    assert balance(backend, LI) == li


async def test_recredits_to_unknown_or_blocked_accounts_credit_nothing(post, key: Ed25519PrivateKey,
                                                                        backend: ReferenceBackend) -> None:
    refused = payment_payload(amount=5000, account_no=BLOCKED)
    await post("v1/payments", sign(refused, key, KIOSK))
    assert await post("v1/recredits", sign(recredit(refused, UNKNOWN), key, KIOSK)) == (
        422, {"error": "rejected", "reason": "unknown_account"})
    blocked = balance(backend, BLOCKED)
    assert await post("v1/recredits", sign(recredit(refused, BLOCKED), key, KIOSK)) == (
        422, {"error": "rejected", "reason": "account_blocked"})
    assert balance(backend, BLOCKED) == blocked
    # refused re-credits leave the cash free for another outcome
    assert (await post("v1/recredits", sign(recredit(refused, LI), key, KIOSK)))[0] == 200


async def test_a_claimed_note_found_by_a_count_is_recredited_once(post, key: Ed25519PrivateKey,
                                                                   backend: ReferenceBackend) -> None:
    case = str(uuid.uuid4())
    claim = {"value": 10000, "at": utc_now(), "count": "4b1c2d3e-custody"}
    body = recredit(None, LI, 10000, case=case, claim=claim)
    li = balance(backend, LI)
    assert (await post("v1/recredits", sign(body, key, KIOSK)))[0] == 200
    again = recredit(None, LI, 10000, case=case, claim=claim)
    assert (await post("v1/recredits", sign(again, key, KIOSK)))[0] == 409
    assert balance(backend, LI) == li + 10000
    status, answer = await post("v1/recredits", sign({**body, "id": str(uuid.uuid4()), "amount": 5000}, key, KIOSK))
    assert status == 400 and "claim.value" in answer["detail"]


async def test_a_wrong_account_payment_is_voided_and_moved(post, key: Ed25519PrivateKey,
                                                            backend: ReferenceBackend) -> None:
    wrong = today_payment(ZHANG, 10000)
    assert (await post("v1/payments", sign(wrong, key, KIOSK)))[0] == 200
    zhang, li = balance(backend, ZHANG), balance(backend, LI)
    body = void(wrong, LI)
    status, answer = await post("v1/voids", sign(body, key, KIOSK))
    assert status == 200 and answer["status"] == "accepted" and answer["ref"].startswith("V-")
    assert (balance(backend, ZHANG), balance(backend, LI)) == (zhang - 10000, li + 10000)
    assert answer["balance"] == li + 10000
    assert await post("v1/voids", sign(body, key, KIOSK)) == (200, answer)
    status, again = await post("v1/voids", sign(void(wrong, "0034567890"), key, KIOSK))
    assert (status, again["status"], again["reason"]) == (200, "refused", "already_voided")
    assert (balance(backend, ZHANG), balance(backend, LI)) == (zhang - 10000, li + 10000)


async def test_voids_the_rules_refuse_move_nothing(post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    yesterday = payment_payload(amount=5000)  # ended 2026-11-23: not today
    assert (await post("v1/payments", sign(yesterday, key, KIOSK)))[0] == 200
    spent = today_payment(ZHANG, 5000)
    assert (await post("v1/payments", sign(spent, key, KIOSK)))[0] == 200
    with backend.store.transaction() as sql:  # the credit was used since (a prepaid meter, a bill)
        sql.run("UPDATE accounts SET balance = balance - 100 WHERE account = ?", (ZHANG,))
    fine = today_payment("0034567890", 5000)
    assert (await post("v1/payments", sign(fine, key, KIOSK)))[0] == 200
    refused = today_payment(BLOCKED, 5000)
    assert (await post("v1/payments", sign(refused, key, KIOSK)))[0] == 422
    before = {n: balance(backend, n) for n in (ZHANG, LI, BLOCKED, "0034567890")}
    cases = [(void(yesterday, LI), "not_same_day"), (void(spent, LI), "balance"),
             (void(fine, BLOCKED), "account_blocked"), (void(fine, UNKNOWN), "unknown_account"),
             (void(fine, "0034567890"), "same_account"), (void(refused, LI), "not_credited"),
             (void(fine, LI, amount=2000), "mismatch"), (void(payment_payload(), LI), "not_credited")]
    for body, reason in cases:
        status, answer = await post("v1/voids", sign(body, key, KIOSK))
        assert (status, answer["status"], answer.get("reason")) == (200, "refused", reason), body
    assert {n: balance(backend, n) for n in before} == before


async def test_case_records_are_checked_and_filed(post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    case = str(uuid.uuid4())
    opened = {"kind": "case", "id": 1, "case": case, "no": 1, "step": "opened", "at": utc_now(), "by": "2001",
              "status": "open", "data": {"kind": "claim", "account": ZHANG, "amount": 10000,
                                         "claimed_at": utc_now(), "contact": True}}
    refund = {**opened, "id": 2, "step": "refund", "status": "resolved",
              "data": {"outcome": str(uuid.uuid4()), "txn": None, "amount": 10000, "reason": "found",
                       "paid_by": "2001", "approved_by": "2001"}}

    def batch(records: list[dict]) -> str:
        return sign({"type": "batch", "kiosk": KIOSK, "seq": 1, "prev": "0" * 64, "records": records,
                     "audit_head": {"seq": 0, "hash": "0" * 64}, "ts": utc_now()}, key, KIOSK)

    status, answer = await post("v1/batches", batch([opened, refund]))
    assert status == 400 and "not the one who paid" in answer["detail"]
    good = {**refund, "data": {**refund["data"], "approved_by": "3001"}}
    assert (await post("v1/batches", batch([opened, good])))[0] == 200
    with backend.store.transaction() as sql:
        steps = [r["type"] for r in sql.rows("SELECT type FROM batch_records WHERE kind = 'case' ORDER BY idx")]
    assert steps == ["opened", "refund"]


async def test_doubt_records_are_checked_and_filed(post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    txn, case = str(uuid.uuid4()), str(uuid.uuid4())
    recorded = {"kind": "doubt", "id": 1, "entry": 40, "txn": txn, "value": 2000, "at": utc_now(),
                "recorded": utc_now(), "state": "in_doubt", "settled": None, "by": None, "basis": None,
                "reason": None, "case": None}
    stacked = {**recorded, "entry": 57, "state": "stacked", "settled": utc_now(), "by": "kioskd",
               "basis": "count:S-1", "case": case}

    def batch(records: list[dict]) -> str:
        return sign({"type": "batch", "kiosk": KIOSK, "seq": 1, "prev": "0" * 64, "records": records,
                     "audit_head": {"seq": 0, "hash": "0" * 64}, "ts": utc_now()}, key, KIOSK)

    for bad, why in [({**recorded, "value": 0}, "value"), ({**recorded, "state": "credited"}, "state"),
                     ({**recorded, "by": "2001"}, "null while in doubt"), ({**stacked, "case": None}, "case"),
                     ({**stacked, "basis": "guess"}, "basis"), ({**stacked, "state": "not_in_box"}, "case"),
                     ({k: v for k, v in recorded.items() if k != "entry"}, "required")]:
        status, answer = await post("v1/batches", batch([bad]))
        assert status == 400 and why in answer["detail"], (bad, answer)
    assert (await post("v1/batches", batch([recorded, stacked])))[0] == 200
    with backend.store.transaction() as sql:
        states = [r["type"] for r in sql.rows("SELECT type FROM batch_records WHERE kind = 'doubt' ORDER BY idx")]
    assert states == ["in_doubt", "stacked"]
