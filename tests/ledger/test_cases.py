"""Cases in the journal: one outcome per cash, outcomes that fit the cash, steps in the chain
without the customer's phone, the phone erased for good, the day's cash balance checked."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from kioskd.ledger import Ledger, LedgerError
from kioskd.ledger.records import utc_now
from tests.ledger.conftest import paid, raw

HALL = {"by": "2001", "by_name": "王芳", "by_role": "hall", "via": "kioskctl"}
MANAGER = {"by": "3001", "by_name": "李经理", "by_role": "manager", "via": "kioskctl"}
PHONE = "13912345678"


async def flagged_payment(ledger: Ledger, *values: int) -> str:
    txn = await paid(ledger, *values)
    await ledger.settle(txn, "flagged", reason="rejected: account_closed")
    return txn


async def open_on(ledger: Ledger, txn: str, phone: str | None = None):
    record = await ledger.transaction(txn)
    return await ledger.cases.open(kind="payment", txn=txn, account=record.account, amount=record.amount,
                                   claimed_at=None, phone=phone, by=HALL, case_id=str(uuid.uuid4()))


def journal_bytes(state: Path) -> bytes:
    """The journal file and its WAL, as a disk thief would read them."""
    return b"".join(p.read_bytes() for p in state.glob("journal.sqlite3*"))


def outcome(kind: str, **fields) -> dict:
    return {"id": str(uuid.uuid4()), "kind": kind, "reason": "customer asked", "state": "done", **fields}


async def test_one_open_case_per_payment_and_one_outcome_per_cash(ledger: Ledger) -> None:
    txn = await flagged_payment(ledger, 10000, 5000)
    case = await open_on(ledger, txn)
    assert (case.no, case.status, case.amount, case.cash) == (1, "open", 15000, txn)
    with pytest.raises(LedgerError, match="case 1 is already open"):
        await open_on(ledger, txn)
    refund = outcome("refund", approved_by="3001")
    await ledger.cases.request(case.id, refund, HALL, step={"amount": 15000})
    assert (await ledger.cases.case(1)).status == "resolved"
    with pytest.raises(LedgerError, match="resolved"):
        await ledger.cases.request(case.id, outcome("writeoff"), MANAGER, step={})
    # a second case on the same payment may be opened (a follow-up), but its cash has its outcome
    second = await open_on(ledger, txn)
    with pytest.raises(LedgerError, match="already has an outcome"):
        await ledger.cases.request(second.id, outcome("writeoff"), MANAGER, step={})


async def test_outcomes_must_fit_the_cash(ledger: Ledger) -> None:
    credited = await paid(ledger, 2000)
    await ledger.settle(credited, "credited", balance=0, ref="B-1")
    flagged = await flagged_payment(ledger, 5000)
    on_credited, on_flagged = await open_on(ledger, credited), await open_on(ledger, flagged)
    for case, kind, extra in [(on_credited, "refund", {"approved_by": "3001"}), (on_credited, "writeoff", {}),
                              (on_flagged, "void", {"account": "0023456789", "payload": "x"})]:
        with pytest.raises(LedgerError, match="does not fit"):
            await ledger.cases.request(case.id, outcome(kind, **extra), HALL, step={})
    with pytest.raises(LedgerError, match="CHECK constraint"):  # the payer approving their own refund
        await ledger.cases.request(on_flagged.id, outcome("refund", approved_by="2001"), HALL, step={})
    claim = await ledger.cases.open(kind="claim", txn=None, account=None, amount=10000, claimed_at=utc_now(),
                                    phone=None, by=HALL, case_id=str(uuid.uuid4()))
    with pytest.raises(LedgerError, match="does not fit"):  # no count has found the note yet
        await ledger.cases.request(claim.id, outcome("writeoff"), MANAGER, step={})
    await ledger.cases.link_count(claim.id, "session-1", "BOX-1", True)
    await ledger.cases.request(claim.id, outcome("writeoff"), MANAGER, step={})
    assert (await ledger.cases.case(claim.id)).status == "resolved"


async def test_a_request_is_answered_once_and_a_refused_one_frees_the_cash(ledger: Ledger) -> None:
    txn = await flagged_payment(ledger, 5000)
    case = await open_on(ledger, txn)
    first = outcome("recredit", state="requested", account="0023456789", payload="jws-1")
    await ledger.cases.request(case.id, first, HALL, step={"state": "requested"}, outbox=("case", first["id"], "jws-1"))
    assert (await ledger.cases.case(case.id)).status == "waiting"
    with pytest.raises(LedgerError, match="waits for the backend"):
        await ledger.cases.close(case.id, "resolved", "no action", HALL)
    _, answered = await ledger.cases.answer(first["id"], "refused", ref=None, answer={"status": 422},
                                            step={"state": "refused"})
    assert answered.state == "refused" and (await ledger.cases.case(case.id)).status == "open"
    assert (await ledger.outbox_next("case")) is None  # the request's outbox item is answered too
    second = outcome("recredit", state="requested", account="0034567890", payload="jws-2")
    await ledger.cases.request(case.id, second, HALL, step={"state": "requested"})
    record, done = await ledger.cases.answer(second["id"], "done", ref="R-1", answer={"status": 200},
                                             step={"state": "credited"})
    assert (record.status, done.ref) == ("resolved", "R-1")
    again, same = await ledger.cases.answer(second["id"], "refused", ref=None, answer={}, step={})
    assert same.state == "done" and again.status == "resolved"  # a late repeat changes nothing


async def test_steps_go_to_the_batch_and_the_chain_without_the_phone(ledger: Ledger, tmp_path: Path) -> None:
    txn = await flagged_payment(ledger, 5000)
    case = await open_on(ledger, txn, phone=PHONE)
    await ledger.cases.note(case.id, "customer will come back tomorrow", HALL)
    records = await ledger.batch_case_steps(0)
    assert [(r["step"], r["no"], r["by"], r["status"]) for r in records] == [
        ("opened", 1, "2001", "open"), ("note", 1, "2001", "open")]
    assert records[0]["data"]["contact"] is True and records[0]["data"]["txn"] == txn
    assert await ledger.batch_case_steps(records[-1]["id"]) == []
    entries = await ledger.audit_entries()
    opened = [e for e in entries if e["type"] == "case_opened"]
    assert opened and opened[0]["data"]["by_name"] == "王芳"
    assert PHONE not in json.dumps(entries, ensure_ascii=False) + json.dumps(records, ensure_ascii=False)


async def test_a_phone_is_erased_after_its_retention_and_gone_from_the_file(ledger: Ledger, tmp_path: Path) -> None:
    txn = await flagged_payment(ledger, 5000)
    case = await open_on(ledger, txn, phone=PHONE)
    assert PHONE.encode() in journal_bytes(tmp_path)
    assert await ledger.cases.erase_contacts(utc_now()) == []  # open: kept
    await ledger.cases.request(case.id, outcome("writeoff"), MANAGER, step={})
    assert await ledger.cases.erase_contacts("2000-01-01T00:00:00.000Z") == []  # not past its retention
    assert await ledger.cases.erase_contacts("2999-01-01T00:00:00.000Z") == [1]
    erased = await ledger.cases.case(1)
    assert erased.phone is None and erased.contact_erased is not None
    assert [s["step"] for s in await ledger.cases.steps(case.id)][-1] == "contact_erased"
    assert PHONE.encode() not in journal_bytes(tmp_path)
    with pytest.raises(sqlite3.IntegrityError, match="only ever erased"):
        raw(tmp_path).execute("UPDATE cases SET phone = '123', contact_erased = NULL")


async def test_the_days_cash_balances_and_a_double_outcome_shows(ledger: Ledger, tmp_path: Path) -> None:
    credited = await paid(ledger, 10000)
    await ledger.settle(credited, "credited", balance=0, ref="B-1")
    refunded = await flagged_payment(ledger, 5000)
    written_off = await flagged_payment(ledger, 2000)
    await flagged_payment(ledger, 1000)  # no case yet: unresolved
    for txn, kind, by, extra in [(refunded, "refund", HALL, {"approved_by": "3001"}), (written_off, "writeoff", MANAGER, {})]:
        case = await open_on(ledger, txn)
        await ledger.cases.request(case.id, outcome(kind, **extra), by, step={})
    day = await ledger.cases.day_figures("2000-01-01T00:00:00.000Z", "2999-01-01T00:00:00.000Z")
    assert day["balance"] == {"box": 18000, "found": 0, "refunds": 5000, "credited": 10000, "unresolved": 1000,
                              "written_off": 2000, "balanced": True}
    assert (day["opened"], day["resolved"], day["open_now"]) == (2, 2, 0)
    assert day["refunds"] == {"count": 1, "total": 5000} and day["writeoffs"] == {"count": 1, "total": 2000}
    # a refund slipped past the rules onto the credited payment: the day no longer balances
    conn = raw(tmp_path)
    conn.execute("DROP TRIGGER case_outcomes_fit_the_cash")
    case = await open_on(ledger, credited)
    conn.execute("INSERT INTO case_outcomes (id, case_id, cash, kind, amount, reason, by, approved_by, state, at,"
                 " answered) VALUES ('x', ?, ?, 'refund', 10000, 'r', '2001', '3001', 'done', ?, ?)",
                 (case.id, credited, utc_now(), utc_now()))
    day = await ledger.cases.day_figures("2000-01-01T00:00:00.000Z", "2999-01-01T00:00:00.000Z")
    assert day["balance"]["balanced"] is False


async def test_the_schema_refuses_changes_behind_the_ledgers_back(ledger: Ledger, tmp_path: Path) -> None:
    txn = await flagged_payment(ledger, 5000)
    case = await open_on(ledger, txn)
    await ledger.cases.request(case.id, outcome("writeoff"), MANAGER, step={})
    conn = raw(tmp_path)
    for sql in ["UPDATE cases SET amount = 1", "UPDATE cases SET status = 'open', closed = NULL",
                "DELETE FROM cases", "UPDATE case_steps SET by = 'x'", "DELETE FROM case_steps",
                "UPDATE case_outcomes SET state = 'refused'", "DELETE FROM case_outcomes"]:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(sql)
    with pytest.raises(sqlite3.IntegrityError, match="took cash"):
        conn.execute("INSERT INTO cases (id, no, kind, txn, account, amount, opened, opened_by, status)"
                     " VALUES ('c', 9, 'payment', ?, '0012345678', 999, 'now', 'x', 'open')", (txn,))


async def test_the_case_tables_are_checked_against_the_chain(ledger: Ledger, tmp_path: Path) -> None:
    from kioskd.ledger import casecheck, integrity

    assert set(casecheck.CHECKS) <= set(integrity.TABLE_CHECKS)  # run at start-up and by audit verify
    refunded = await open_on(ledger, await flagged_payment(ledger, 5000))
    refund = outcome("refund", approved_by="3001")
    await ledger.cases.request(refunded.id, refund, HALL, step={"outcome": refund["id"], "amount": 5000})
    waiting = await open_on(ledger, await flagged_payment(ledger, 2000))
    requested = outcome("recredit", state="requested", account="0023456789", payload="jws")
    await ledger.cases.request(waiting.id, requested, HALL, step={"outcome": requested["id"], "amount": 2000,
                                                                  "state": "requested"})
    conn = raw(tmp_path)
    assert [check(conn) for check in casecheck.CHECKS] == [None, None, None]
    clean = await open_on(ledger, await flagged_payment(ledger, 1000))
    conn.execute("UPDATE cases SET status = 'waiting' WHERE id = ?", (clean.id,))  # behind the ledger's back
    assert "its last step says open" in casecheck.check_cases(conn).reason
    conn.execute("UPDATE cases SET status = 'open' WHERE id = ?", (clean.id,))
    assert casecheck.check_cases(conn) is None
    conn.execute("UPDATE case_outcomes SET state = 'done', answered = 'now', ref = 'R-FAKE' WHERE id = ?",
                 (requested["id"],))  # a credit the backend never gave
    assert "differs from its steps" in casecheck.check_case_outcomes(conn).reason
    assert casecheck.check_case_steps(conn) is None
    conn.execute("DROP TRIGGER case_steps_no_update")
    conn.execute("UPDATE case_steps SET by = '9999' WHERE step = 'opened' AND case_id = ?", (clean.id,))
    assert "differs from the chain (by)" in casecheck.check_case_steps(conn).reason
