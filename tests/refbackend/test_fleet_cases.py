"""The operator's side of cases (SQLite and PostgreSQL): real case counts, outcomes, differences
that know refused cash is in the box, and each kiosk's day balance from its batches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from refbackend.fleet.exports import custody_rows
from refbackend.fleet.overview import fleet_view
from refbackend.testbed.kiosks import BLOCKED, ZHANG, SimKiosk, ago
from tests.refbackend.test_fleet import CONFIG, fleet  # noqa: F401 - fleet: a backend on either store


def step(n: int, case: str, no: int, name: str, status: str, data: dict) -> dict:
    return {"kind": "case", "id": n, "case": case, "no": no, "step": name, "at": ago(seconds=5), "by": "2001",
            "status": status, "data": data}


def paid(payment: dict, status: str) -> dict:
    return {**payment, "kind": "payment", "status": status, "balance": None, "ref": None, "reason": None}


async def test_cases_outcomes_differences_and_the_day_balance(fleet) -> None:  # noqa: F811
    ref, net = fleet
    k = net.enrol(SimKiosk("K-C1", "H-C"))
    credited, recredited, refunded = (k.payment(a, acct) for a, acct in ((10000, ZHANG), (5000, BLOCKED),
                                                                          (5000, BLOCKED)))
    assert (await net.post(k, "v1/payments", credited))[0] == 200
    for refused in (recredited, refunded):
        assert (await net.post(k, "v1/payments", refused))[0] == 422
    one, two = str(uuid.uuid4()), str(uuid.uuid4())
    again = str(uuid.uuid4())
    body = {"type": "recredit", "kiosk": k.kid, "id": again, "case": one, "txn": recredited["txn"],
            "seq": recredited["seq"], "claim": None, "account": ZHANG, "amount": 5000, "currency": "CNY",
            "reason": "right account", "by": "2001", "at": ago(seconds=5)}
    assert (await net.post(k, "v1/recredits", body))[0] == 200
    outcome = {"outcome": again, "txn": recredited["txn"], "account": ZHANG, "amount": 5000, "ref": None}
    refund = {"outcome": str(uuid.uuid4()), "txn": refunded["txn"], "amount": 5000, "reason": "cash back",
              "paid_by": "2001", "approved_by": "3001"}
    records = [paid(credited, "credited"), paid(recredited, "flagged"), paid(refunded, "flagged"),
               step(1, one, 1, "opened", "open", {"kind": "payment", "txn": recredited["txn"], "amount": 5000}),
               step(2, one, 1, "recredit", "waiting", {**outcome, "state": "requested"}),
               step(3, one, 1, "recredit", "resolved", {**outcome, "state": "credited"}),
               step(4, two, 2, "opened", "open", {"kind": "payment", "txn": refunded["txn"], "amount": 5000}),
               step(5, two, 2, "refund", "resolved", refund)]
    payload, token = k.batch(records)
    assert (await net.post(k, "v1/batches", payload, token))[0] == 200
    # the box of those three payments: 4 notes of 50 yuan counted, all of them known
    payload, token = k.custody_batch("S-1", ago(hours=1), {5000: 4}, {5000: 4}, ago(seconds=2), ago(seconds=1))
    assert (await net.post(k, "v1/batches", payload, token))[0] == 200

    [session] = custody_rows(ref.store, CONFIG, datetime.now(UTC).date())
    assert (session["credited"], session["refused"], session["other"], session["difference"]) == (10000, 10000, 0, 0)
    [hall] = fleet_view(ref.store, CONFIG, datetime.now(UTC))["halls"]
    assert (hall["cases"], hall["cases_open"], hall["differences"], hall["balanced"]) == (2, 0, 0, True)
    assert hall["recredits"] == {"count": 1, "total": 5000} and hall["refunds"] == {"count": 1, "total": 5000}

    # a second outcome for cash that has one (a second refund through another case, a refund of the payment the
    # backend credited) is refused with the batch (test_one_outcome.py): the day stays balanced
    for txn, amount in ((refunded["txn"], 5000), (credited["txn"], 10000)):
        four = str(uuid.uuid4())
        status, answer = await refused_batch(net, k, [
            step(6, four, 4, "opened", "open", {"kind": "payment", "txn": txn, "amount": amount}),
            step(7, four, 4, "refund", "resolved", {**refund, "outcome": str(uuid.uuid4()), "txn": txn,
                                                     "amount": amount})])
        assert (status, answer["error"]) == (400, "bad_request") and f"payment {txn}" in answer["detail"]
    [hall] = fleet_view(ref.store, CONFIG, datetime.now(UTC))["halls"]
    assert (hall["balanced"], hall["cases"], hall["refunds"]["count"]) == (True, 2, 1)


async def refused_batch(net, k: SimKiosk, records: list[dict]) -> tuple[int, dict]:
    """Send a batch the backend should refuse; the kiosk keeps its chain where it was (it would send it again)."""
    seq, prev = k.batch_seq, k.prev
    payload, token = k.batch(records)
    answer = await net.post(k, "v1/batches", payload, token)
    k.batch_seq, k.prev = seq, prev
    return answer
