"""The case procedure against a real journal and reference backend: each outcome, each refusal."""

from __future__ import annotations

from typing import Any

import pytest

from kioskd.hall.cases import CaseError
from refbackend import ReferenceBackend
from tests.cases.conftest import HALL, MANAGER, Person, pay, unanswered
from tests.uplink.support import BLOCKED, ZHANG

LI = "0023456789"  # 李*华


def clear(backend: ReferenceBackend) -> None:
    """The backend answers again (the API holds its Faults object: change it, do not replace it)."""
    backend.faults.fail_5xx = backend.faults.drop_after = 0
    backend.faults.paths = None


def balance(k: dict[str, Any], number: str) -> int:
    return k["backend"].store.account(number)["balance"]


async def snapshot(k: dict[str, Any], no: int | None = None) -> tuple:
    """What must not change when an action is refused: case, steps, outcomes, audit head, outbox, balances."""
    ledger = k["ledger"]
    case = await ledger.cases.case(no) if no else None
    steps = await ledger.cases.steps(case.id) if case else []
    outcomes = await ledger.cases.outcomes(case.id) if case else []
    return (case, steps, outcomes, await ledger.audit_head(), await ledger.outbox_depth(),
            balance(k, LI), balance(k, ZHANG), balance(k, BLOCKED))


async def test_a_flagged_payment_is_recredited_once_to_the_right_account(kiosk: dict[str, Any]) -> None:
    k, cases = kiosk, kiosk["cases"]
    result = await pay(k, BLOCKED, 10000, 5000)
    assert result.status == "flagged"
    k["alerts"].raise_alert("payment_flagged", "critical", device=f"payment {result.txn}")
    case = await cases.open_payment(result.seq, HALL, phone="139 1234 5678", note="account closed at the kiosk")
    assert (case.no, case.amount, case.status) == (1, 15000, "open")
    view = await cases.view(1)
    assert view["may"] == ["note", "recredit", "refund", "writeoff"]
    before = await snapshot(k, 1)
    with pytest.raises(CaseError, match="belongs to 李\\*华"):  # the holder staff saw must be the account's
        await cases.recredit(1, LI, "张*明", "wrong holder", HALL)
    assert await snapshot(k, 1) == before
    li = balance(k, LI)
    outcome = await cases.recredit(1, LI, "李*华", "the customer's own account", HALL)
    assert (outcome.state, outcome.ref[:2]) == ("done", "R-")
    assert balance(k, LI) == li + 15000  # credited once, to the right account
    assert k["backend"].credited_total("K-0001") == 0  # the refused payment itself never credits
    assert (await cases.case(1)).status == "resolved"
    assert not k["alerts"].is_open("payment_flagged")
    with pytest.raises(CaseError, match="resolved"):  # a second outcome for the same cash
        await cases.refund(1, 15000, "again", HALL, MANAGER)
    second = await cases.open_payment(result.seq, HALL)
    with pytest.raises(CaseError, match="already has an outcome"):
        await cases.writeoff(second.no, "again", MANAGER)
    assert balance(k, LI) == li + 15000
    steps = [(s["step"], s["data"].get("state")) for s in await k["ledger"].cases.steps(case.id)]
    assert steps == [("opened", None), ("note", None), ("recredit", "requested"), ("recredit", "credited")]


async def test_bad_input_is_refused_and_nothing_changes(kiosk: dict[str, Any]) -> None:
    k, cases = kiosk, kiosk["cases"]
    with pytest.raises(CaseError, match="no payment 99"):
        await cases.open_payment(99, HALL)
    result = await pay(k, BLOCKED, 5000)
    await cases.open_payment(result.seq, HALL)
    with pytest.raises(CaseError, match="case 1 is already open"):
        await cases.open_payment(result.txn, HALL)
    before = await snapshot(k, 1)
    for number, words in [("0000000001", "unknown at the backend"), (BLOCKED, "cannot be paid")]:
        with pytest.raises(CaseError, match=words):
            await cases.recredit(1, number, "x", "re-credit", HALL)
    with pytest.raises(CaseError, match="second person"):
        await cases.refund(1, 5000, "money back", HALL, Person("2001", "王芳", "manager"))
    with pytest.raises(CaseError, match="whole 5000 fen"):
        await cases.refund(1, 2000, "part of it", HALL, MANAGER)
    with pytest.raises(CaseError, match="nothing to void"):
        await cases.void(1, LI, "李*华", "wrong account", HALL)
    with pytest.raises(CaseError, match="no outcome yet"):
        await cases.close(1, "nothing to do", HALL)
    k["printer"].ready = False
    with pytest.raises(CaseError, match="printer is not ready"):
        await cases.refund(1, 5000, "money back", HALL, MANAGER)
    assert await snapshot(k, 1) == before


async def test_a_refund_names_two_people_and_prints_the_voucher(kiosk: dict[str, Any]) -> None:
    k, cases = kiosk, kiosk["cases"]
    result = await pay(k, BLOCKED, 5000)
    await cases.open_payment(result.seq, HALL)
    outcome, printed = await cases.refund(1, 5000, "customer wants the cash back", HALL, MANAGER, lang="en")
    assert printed and (outcome.kind, outcome.by, outcome.approved_by) == ("refund", "2001", "3001")
    [(job, data)] = k["printer"].jobs
    assert job == "refund voucher case 1" and b"REFUND VOUCHER" in data and b"2001" in data and b"3001" in data
    assert (await cases.case(1)).status == "resolved"
    assert await cases.print_voucher(1, lang="zh-CN", copy=True)
    assert "退款凭证".encode("gb18030") in k["printer"].jobs[-1][1]
    figures = await k["ledger"].cases.day_figures("2000-01-01T00:00:00.000Z", "2999-01-01T00:00:00.000Z")
    assert figures["refunds"] == {"count": 1, "total": 5000}
    assert figures["balance"]["balanced"] and figures["balance"]["box"] == 5000


async def test_a_pending_payment_recredited_is_never_sent_again(kiosk: dict[str, Any]) -> None:
    k, cases, backend = kiosk, kiosk["cases"], kiosk["backend"]
    backend.faults.fail_5xx, backend.faults.paths = 10**6, ("/v1/payments",)
    with unanswered(k):
        result = await pay(k, ZHANG, 2000)
    assert result.status == "pending"
    await cases.open_payment(result.seq, HALL)
    assert (await cases.view(1))["may"] == ["note", "recredit"]
    with pytest.raises(CaseError, match="pending: the backend may still credit it"):
        await cases.writeoff(1, "give up", MANAGER)
    li = balance(k, LI)
    outcome = await cases.recredit(1, LI, "李*华", "paid into the wrong account, never answered", HALL)
    assert outcome.state == "done" and balance(k, LI) == li + 2000
    clear(backend)
    assert await k["ledger"].outbox_next("payment") is None  # held by the case: never sent again
    assert await k["ledger"].cases.held_cash() == {result.txn}
    # batched as it stands (pending, re-credited), not holding the later payments back
    later = await pay(k, ZHANG, 1000)
    records = await k["ledger"].batch_payments(0)
    assert [(r["seq"], r["status"]) for r in records] == [(1, "pending"), (later.seq, "credited")]


async def test_a_lost_answer_found_credited_is_not_recredited(kiosk: dict[str, Any]) -> None:
    k, cases, backend = kiosk, kiosk["cases"], kiosk["backend"]
    backend.faults.drop_after, backend.faults.paths = 10**6, ("/v1/payments",)  # credited, answer lost
    with unanswered(k):
        result = await pay(k, ZHANG, 2000)
    clear(backend)
    assert result.status == "pending" and backend.credited_total("K-0001") == 2000
    await cases.open_payment(result.seq, HALL)
    li = balance(k, LI)
    outcome = await cases.recredit(1, LI, "李*华", "never answered", HALL)
    assert outcome.state == "refused" and balance(k, LI) == li
    payment = await k["ledger"].transaction(result.txn)
    assert (payment.state, payment.ref) == ("credited", outcome.ref)  # the backend's own credit stands
    assert (await cases.view(1))["may"] == ["note", "void", "close", "reject"]
    await cases.close(1, "the payment was credited after all; customer told", HALL)


async def test_without_an_answer_the_case_waits_and_the_outbox_finishes_it(kiosk: dict[str, Any]) -> None:
    k, cases, backend = kiosk, kiosk["cases"], kiosk["backend"]
    result = await pay(k, BLOCKED, 5000)
    await cases.open_payment(result.seq, HALL)
    backend.faults.fail_5xx, backend.faults.paths = 10**6, ("/v1/recredits",)
    outcome = await cases.recredit(1, LI, "李*华", "right account", HALL)
    assert outcome.state == "requested" and (await cases.case(1)).status == "waiting"
    with pytest.raises(CaseError, match="waits for the backend"):
        await cases.writeoff(1, "x", MANAGER)
    clear(backend)
    item = await k["ledger"].outbox_next("case")
    assert await k["sender"].send(item) == "done"
    assert (await cases.case(1)).status == "resolved"
    assert (await k["ledger"].cases.outcome(outcome.id)).state == "done"


async def test_a_wrong_account_payment_is_voided_and_moved(kiosk: dict[str, Any]) -> None:
    k, cases = kiosk, kiosk["cases"]
    result = await pay(k, ZHANG, 10000)
    assert result.status == "credited"
    await cases.open_payment(result.seq, HALL)
    with pytest.raises(CaseError, match="already credited to"):
        await cases.void(1, ZHANG, "张*明", "same account", HALL)
    zhang, li = balance(k, ZHANG), balance(k, LI)
    outcome = await cases.void(1, LI, "李*华", "typed the neighbour's number", HALL)
    assert (outcome.state, outcome.ref[:2]) == ("done", "V-")
    assert (balance(k, ZHANG), balance(k, LI)) == (zhang - 10000, li + 10000)
    steps = await k["ledger"].cases.steps((await cases.case(1)).id)
    assert steps[-1]["data"] | {"outcome": None} == {
        "outcome": None, "state": "accepted", "txn": result.txn, "account": ZHANG, "to": LI, "amount": 10000,
        "ref": outcome.ref, "reason": None}
    figures = await k["ledger"].cases.day_figures("2000-01-01T00:00:00.000Z", "2999-01-01T00:00:00.000Z")
    assert figures["voids"]["count"] == 1 and figures["balance"]["credited"] == 10000
    assert figures["balance"]["balanced"]


async def test_a_refused_void_leaves_the_cash_where_it_is(kiosk: dict[str, Any]) -> None:
    k, cases = kiosk, kiosk["cases"]
    result = await pay(k, ZHANG, 10000)
    with k["backend"].store.transaction() as sql:  # the credit has been used since
        sql.run("UPDATE accounts SET balance = balance - 5000 WHERE account = ?", (ZHANG,))
    await cases.open_payment(result.seq, HALL)
    outcome = await cases.void(1, LI, "李*华", "wrong account", HALL)
    assert (outcome.state, outcome.answer["body"]["reason"]) == ("refused", "balance")
    assert (await cases.case(1)).status == "open"
    await cases.close(1, "void refused (credit used); customer referred to the operator", HALL)


async def test_a_refused_recredit_of_a_pending_payment_lets_it_be_sent_again(kiosk: dict[str, Any]) -> None:
    k, cases, backend = kiosk, kiosk["cases"], kiosk["backend"]
    backend.store.seed_accounts([{"account": "0077777777", "holder": "外*币", "balance": 0, "currency": "USD"}])
    backend.faults.fail_5xx, backend.faults.paths = 10**6, ("/v1/payments",)
    with unanswered(k):
        result = await pay(k, ZHANG, 2000)
    clear(backend)
    await cases.open_payment(result.seq, HALL)
    outcome = await cases.recredit(1, "0077777777", "外*币", "the customer's other account", HALL)
    assert (outcome.state, outcome.answer["body"]["reason"]) == ("refused", "currency")
    assert await k["ledger"].cases.held_cash() == set()
    item = await k["ledger"].outbox_next("payment")  # the payment is the kiosk's to send again
    assert item is not None and item.key == result.txn
    assert await k["sender"].send(item) == "done"
    assert (await k["ledger"].transaction(result.txn)).state == "credited"
    assert (await cases.view(1))["may"] == ["note", "void", "close", "reject"]


async def test_the_status_counts_only_cash_no_outcome_settled(kiosk: dict[str, Any]) -> None:
    from kioskd.uplink.status import build_status

    k, cases = kiosk, kiosk["cases"]
    for _ in range(2):
        await pay(k, BLOCKED, 5000)
    await cases.open_payment(1, HALL)
    await cases.writeoff(1, "never came back", MANAGER)
    status = await build_status(k["ledger"], k["alerts"], "service_idle", 0)
    assert status["flagged"] == {"count": 1, "amount": 5000}
