"""In-doubt notes settled by the next count of their box or by staff: once, audited, never credited twice."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from kioskd.hall.cases import CaseError
from kioskd.hall.cases.claims import check_claims
from kioskd.hall.cases.doubts import clear_settled, settle_by_staff
from kioskd.ledger.integrity import TABLE_CHECKS
from tests.cases.conftest import HALL, MANAGER
from tests.cases.test_claims_and_sweeps import ago, count_of_box
from tests.ledger.conftest import raw
from tests.uplink.support import ZHANG, account


async def in_doubt(k: dict[str, Any], value: int) -> Any:
    """A note sent to be stacked as the kiosk died, its fate unknown after the restart."""
    ledger = k["ledger"]
    txn = await ledger.open_payment(account(ZHANG))
    await ledger.stack_requested(txn, value)
    await ledger.recover()  # the start-up: the payment took no cash, it is cancelled
    note = await ledger.doubts.from_stack_intent()
    k["alerts"].raise_alert("note_in_doubt", "critical", device=f"doubt {note.id}", doubt=note.id)
    return note


def recredits(k: dict[str, Any]) -> list[tuple[str, int]]:
    """What the reference backend credited through re-credits: (account, amount) each."""
    with sqlite3.connect(k["config"].state_dir.parent / "backend.sqlite3") as db:
        return db.execute("SELECT account, amount FROM recredits WHERE credited = 1").fetchall()


def chain_problems(k: dict[str, Any]) -> list[Any]:
    conn = raw(k["config"].state_dir)
    return [p for p in (check(conn) for check in TABLE_CHECKS) if p is not None]


async def test_the_count_that_finds_it_makes_a_claim_to_credit_once(kiosk: dict[str, Any]) -> None:
    ledger, cases = kiosk["ledger"], kiosk["cases"]
    doubt = await in_doubt(kiosk, 2000)
    # the customer comes to the counter too: a claim for the same 20 yuan
    claim = await cases.open_claim(2000, HALL, when=ago(0), account=ZHANG)
    await count_of_box(ledger, "s1", ago(24 * 60), [(2000, 3, 4)])  # one 20-yuan note over
    assert await check_claims(ledger) == [(claim.no, False)]  # the one over is the in-doubt note's
    settled = await ledger.doubts.note(doubt.id)
    assert (settled.state, settled.basis, settled.settled_by) == ("stacked", "count:s1", "kioskd")
    case = await ledger.cases.case(settled.case_id)
    assert (case.kind, case.account, case.amount, case.found, case.count_session) == ("claim", ZHANG, 2000, True, "s1")
    await clear_settled(ledger, kiosk["alerts"])
    assert not kiosk["alerts"].is_open("note_in_doubt", f"doubt {doubt.id}")
    outcome = await cases.recredit(case.no, ZHANG, "张*明", "in-doubt note found at the count", HALL)
    assert outcome.state == "done" and outcome.cash == f"claim:{case.id}"
    # never twice: the note is settled, and the customer's claim found no over left for it
    with pytest.raises(CaseError, match="settled already"):
        await settle_by_staff(ledger, kiosk["alerts"], doubt.id, "stacked", "again", MANAGER)
    with pytest.raises(CaseError, match="did not find"):
        await cases.recredit(claim.no, ZHANG, "张*明", "twice?", HALL)
    assert await check_claims(ledger) == [] and chain_problems(kiosk) == []
    assert recredits(kiosk) == [(ZHANG, 2000)]


async def test_a_count_without_its_over_says_not_in_the_box(kiosk: dict[str, Any]) -> None:
    ledger = kiosk["ledger"]
    doubt = await in_doubt(kiosk, 5000)
    await count_of_box(ledger, "s1", ago(24 * 60), [(5000, 2, 2)])
    await check_claims(ledger)
    settled = await ledger.doubts.note(doubt.id)
    assert (settled.state, settled.basis, settled.case_id) == ("not_in_box", "count:s1", None)
    assert await ledger.cases.cases() == [] and chain_problems(kiosk) == []


async def test_staff_settle_it_once_with_a_reason_and_the_count_does_not_credit_it_again(
        kiosk: dict[str, Any]) -> None:
    ledger, cases, alerts = kiosk["ledger"], kiosk["cases"], kiosk["alerts"]
    stacked = await in_doubt(kiosk, 2000)
    returned = await in_doubt(kiosk, 1000)
    for doubt, settle_as, reason, said in [
            (99, "stacked", "r", "no in-doubt note 99"), (0, "stacked", "r", "number required"),
            (stacked.id, "credited", "r", "stacked or not_in_box"), (stacked.id, "stacked", " ", "reason")]:
        with pytest.raises(CaseError, match=said):
            await settle_by_staff(ledger, alerts, doubt, settle_as, reason, MANAGER)
    note = await settle_by_staff(ledger, alerts, stacked.id, "stacked", "device display shows it stacked", MANAGER)
    case = await ledger.cases.case(note.case_id)
    assert (case.found, case.count_session, case.opened_by) == (True, f"doubt:{stacked.id}", MANAGER.id)
    gone = await settle_by_staff(ledger, alerts, returned.id, "not_in_box", "the customer has it back", MANAGER)
    assert (gone.state, gone.settled_by, gone.reason) == ("not_in_box", MANAGER.id, "the customer has it back")
    for doubt in (stacked.id, returned.id):
        assert not alerts.is_open("note_in_doubt", f"doubt {doubt}")
        with pytest.raises(CaseError, match="settled already"):
            await settle_by_staff(ledger, alerts, doubt, "not_in_box", "twice", MANAGER)
    outcome = await cases.recredit(case.no, ZHANG, "张*明", "staff saw it stacked", HALL)
    assert outcome.state == "done"  # the backend takes doubt:<id> as what found it
    assert recredits(kiosk) == [(ZHANG, 2000)]
    # the box's count later shows the one over: staff's word already explains it, no claim gets it
    claim = await cases.open_claim(2000, HALL, when=ago(0), account=ZHANG)
    await count_of_box(ledger, "s1", ago(24 * 60), [(2000, 1, 2)])
    assert await check_claims(ledger) == [(claim.no, False)]
    entries = [e for e in await ledger.audit_entries(0, 1000) if e["type"] == "doubt_settled"]
    assert [(e["data"]["by"], e["data"].get("by_name")) for e in entries] == [(MANAGER.id, MANAGER.name)] * 2
    assert chain_problems(kiosk) == []
