"""One outcome per cash at the reference backend (SQLite and PostgreSQL): a batch that would give a
payment's cash a second outcome is refused whole, naming the payment and the outcome that stands;
a repeat of a record the backend kept is not a second outcome; the day stays balanced."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from refbackend.fleet.overview import fleet_view
from refbackend.sql import upgrade
from refbackend.testbed.kiosks import BLOCKED, ZHANG, SimKiosk, ago
from tests.refbackend.test_fleet import CONFIG, fleet  # noqa: F401 - fleet: a backend on either store
from tests.refbackend.test_fleet_cases import paid, refused_batch, step


def refund(txn: str, outcome: str | None = None) -> dict:
    return {"outcome": outcome or str(uuid.uuid4()), "txn": txn, "amount": 5000, "reason": "cash back",
            "paid_by": "2001", "approved_by": "3001"}


def writeoff(txn: str) -> dict:
    return {"outcome": str(uuid.uuid4()), "txn": txn, "amount": 5000, "reason": "customer left"}


def recredited(txn: str, outcome: str, state: str = "credited") -> dict:
    return {"outcome": outcome, "state": state, "txn": txn, "account": ZHANG, "amount": 5000, "ref": None,
            "reason": "right account"}


def opened(n: int, case: str, no: int, txn: str) -> dict:
    return step(n, case, no, "opened", "open", {"kind": "payment", "txn": txn, "amount": 5000})


async def flagged(net, k: SimKiosk) -> dict:  # noqa: ANN001 - the fleet's client
    payment = k.payment(5000, BLOCKED)
    assert (await net.post(k, "v1/payments", payment))[0] == 422
    return payment


def hall_of(ref) -> dict:  # noqa: ANN001
    [hall] = fleet_view(ref.store, CONFIG, datetime.now(UTC))["halls"]
    return hall


async def test_two_refunds_of_one_payments_cash_are_refused(fleet) -> None:  # noqa: F811
    ref, net = fleet
    k = net.enrol(SimKiosk("K-O1", "H-O"))
    one, two = await flagged(net, k), await flagged(net, k)
    first, a, b = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    payload, token = k.batch([paid(one, "flagged"), paid(two, "flagged"), opened(1, a, 1, one["txn"]),
                              step(2, a, 1, "refund", "resolved", refund(one["txn"], first))])
    assert (await net.post(k, "v1/batches", payload, token))[0] == 200

    # a second case refunding the same payment again, in a later batch
    status, answer = await refused_batch(net, k, [opened(3, b, 2, one["txn"]),
                                            step(4, b, 2, "refund", "resolved", refund(one["txn"]))])
    assert (status, answer["error"]) == (400, "bad_request")
    assert f"payment {one['txn']}" in answer["detail"] and f"refund {first}" in answer["detail"], answer
    # two refunds of one payment in the same batch
    c, d, own = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    status, answer = await refused_batch(net, k, [opened(3, c, 2, two["txn"]),
                                            step(4, c, 2, "refund", "resolved", refund(two["txn"], own)),
                                            opened(5, d, 3, two["txn"]),
                                            step(6, d, 3, "refund", "resolved", refund(two["txn"]))])
    assert status == 400 and answer["detail"].startswith("records[3]: ") and f"refund {own}" in answer["detail"]

    # nothing of either was kept: one case, one refund, the day balances; the kiosk's next batch goes on
    hall = hall_of(ref)
    assert (hall["cases"], hall["refunds"], hall["balanced"]) == (1, {"count": 1, "total": 5000}, True)
    payload, token = k.batch([opened(3, c, 2, two["txn"]), step(4, c, 2, "refund", "resolved", refund(two["txn"]))])
    assert (await net.post(k, "v1/batches", payload, token))[0] == 200
    assert hall_of(ref)["refunds"] == {"count": 2, "total": 10000}


async def test_a_recredit_and_a_writeoff_of_the_same_cash_are_refused(fleet) -> None:  # noqa: F811
    ref, net = fleet
    k = net.enrol(SimKiosk("K-O2", "H-O"))
    one, two = await flagged(net, k), await flagged(net, k)
    # one: re-credited by the backend, then a write-off of its cash in a batch
    case, outcome = str(uuid.uuid4()), str(uuid.uuid4())
    body = {"type": "recredit", "kiosk": k.kid, "id": outcome, "case": case, "txn": one["txn"], "seq": one["seq"],
            "claim": None, "account": ZHANG, "amount": 5000, "currency": "CNY", "reason": "right account",
            "by": "2001", "at": ago(seconds=5)}
    assert (await net.post(k, "v1/recredits", body))[0] == 200
    status, answer = await refused_batch(net, k, [paid(one, "flagged"), opened(1, case, 1, one["txn"]),
                                            step(2, case, 1, "writeoff", "resolved", writeoff(one["txn"]))])
    assert status == 400 and f"payment {one['txn']}" in answer["detail"] and f"recredit {outcome}" in answer["detail"]
    # the re-credit's own steps (requested, then credited) are one outcome
    payload, token = k.batch([paid(one, "flagged"), opened(1, case, 1, one["txn"]),
                              step(2, case, 1, "recredit", "waiting", recredited(one["txn"], outcome, "requested")),
                              step(3, case, 1, "recredit", "resolved", recredited(one["txn"], outcome))])
    assert (await net.post(k, "v1/batches", payload, token))[0] == 200

    # two: written off in a batch, then a re-credit of its cash: not credited, and its record refused
    other, off = str(uuid.uuid4()), writeoff(two["txn"])
    payload, token = k.batch([paid(two, "flagged"), opened(4, other, 2, two["txn"]),
                              step(5, other, 2, "writeoff", "resolved", off)])
    assert (await net.post(k, "v1/batches", payload, token))[0] == 200
    before = ref.store.account(ZHANG)["balance"]
    again = {**body, "id": str(uuid.uuid4()), "case": other, "txn": two["txn"], "seq": two["seq"]}
    assert await net.post(k, "v1/recredits", again) == (422, {"error": "rejected", "reason": "written_off"})
    assert ref.store.account(ZHANG)["balance"] == before
    third = str(uuid.uuid4())
    status, answer = await refused_batch(net, k, [opened(6, third, 3, two["txn"]),
                                            step(7, third, 3, "recredit", "resolved", recredited(two["txn"], third))])
    assert status == 400 and f"writeoff {off['outcome']}" in answer["detail"]
    hall = hall_of(ref)
    assert (hall["recredits"]["count"], hall["balanced"]) == (1, True), hall


async def test_an_outcome_sent_again_is_accepted_not_refused(fleet) -> None:  # noqa: F811
    ref, net = fleet
    k = net.enrol(SimKiosk("K-O3", "H-O"))
    one = await flagged(net, k)
    case = str(uuid.uuid4())
    records = [paid(one, "flagged"), opened(1, case, 1, one["txn"]),
               step(2, case, 1, "refund", "resolved", refund(one["txn"]))]
    payload, token = k.batch(records)
    assert await net.post(k, "v1/batches", payload, token) == (200, {"seq": 1, "status": "accepted"})
    # the answer was lost: the same batch again
    assert await net.post(k, "v1/batches", payload, token) == (200, {"seq": 1, "status": "accepted"})
    # the same records again in the next batch (a kiosk that crashed before it noted them batched)
    payload, token = k.batch(records)
    assert await net.post(k, "v1/batches", payload, token) == (200, {"seq": 2, "status": "accepted"})
    hall = hall_of(ref)
    assert (hall["cases"], hall["refunds"], hall["balanced"]) == (1, {"count": 1, "total": 5000}, True), hall


async def test_outcomes_kept_before_the_cash_index_still_stand(fleet) -> None:  # noqa: F811
    """A store whose case records were kept before they carried their id and cash: opening it fills
    both in, and a second outcome of a payment's cash (and of a claim's) is still refused."""
    ref, net = fleet
    k = net.enrol(SimKiosk("K-O4", "H-O"))
    one = await flagged(net, k)
    case, claim, first = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    claimed = {"kind": "claim", "txn": None, "account": ZHANG, "amount": 5000, "claimed_at": ago(minutes=1)}
    payload, token = k.batch([paid(one, "flagged"), opened(1, case, 1, one["txn"]),
                              step(2, case, 1, "refund", "resolved", refund(one["txn"], first)),
                              step(3, claim, 2, "opened", "open", claimed),
                              step(4, claim, 2, "writeoff", "resolved", {**writeoff(one["txn"]), "txn": None})])
    assert (await net.post(k, "v1/batches", payload, token))[0] == 200
    with ref.store.transaction() as sql:
        filed = sql.rows("SELECT record_id, cash FROM batch_records WHERE kind = 'case' ORDER BY idx")
        sql.run("UPDATE batch_records SET record_id = NULL, cash = NULL")  # as a store from before kept them
        upgrade(sql)  # what opening the store does
        assert sql.rows("SELECT record_id, cash FROM batch_records WHERE kind = 'case' ORDER BY idx") == filed
    assert filed == [{"record_id": 1, "cash": one["txn"]}, {"record_id": 2, "cash": one["txn"]},
                     {"record_id": 3, "cash": f"claim:{claim}"}, {"record_id": 4, "cash": f"claim:{claim}"}]

    other = str(uuid.uuid4())
    status, answer = await refused_batch(net, k, [opened(5, other, 3, one["txn"]),
                                            step(6, other, 3, "writeoff", "resolved", writeoff(one["txn"]))])
    assert status == 400 and f"payment {one['txn']}" in answer["detail"] and f"refund {first}" in answer["detail"]
    status, answer = await refused_batch(net, k, [step(5, claim, 2, "refund", "resolved",
                                                       {**refund(one["txn"]), "txn": None})])
    assert status == 400 and f"claim case {claim}" in answer["detail"], answer
    payload, token = k.batch([step(2, case, 1, "refund", "resolved", refund(one["txn"], first))])  # a repeat
    assert (await net.post(k, "v1/batches", payload, token))[0] == 200
