"""Claims matched to the count of their box; unowned cash raises an alert; phone numbers erased."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from backend_api.fields import format_utc
from kioskd.config import CasesConfig
from kioskd.hall.cases import CaseError
from kioskd.hall.cases.claims import check_claims
from kioskd.hall.cases.sweep import sweep
from kioskd.system.clock import wall_now
from tests.cases.conftest import HALL, MANAGER, pay, unanswered
from tests.uplink.support import BLOCKED


def ago(minutes: int) -> str:
    return format_utc(wall_now() - timedelta(minutes=minutes))


async def count_of_box(ledger: Any, session: str, since: str, rows: list[tuple[int, int, int]]) -> None:
    """The audit entries a custody session writes when it opens the box and when the count is confirmed."""
    await ledger.audit_append("custody_open", {"session": session, "since": since, "box_id": f"BOX-{session}",
                                               "counts": {}, "payments": 0, "amount": 0})
    await ledger.audit_append("custody_count", {"session": session, "box_id": f"BOX-{session}", "rows": [
        {"value": v, "expected": e, "counted": c, "diff": c - e, "verdict": "match" if c == e else
         ("over" if c > e else "short")} for v, e, c in rows], "counterfeit": 0, "confirmed_by": ["t1", "t2"]})


async def test_claims_are_matched_to_the_over_notes_of_their_boxs_count(kiosk: dict[str, Any]) -> None:
    cases, ledger = kiosk["cases"], kiosk["ledger"]
    first = await cases.open_claim(10000, HALL, when=ago(60), account="0012345678", phone="13912345678")
    second = await cases.open_claim(10000, HALL, when=ago(50))
    other = await cases.open_claim(5000, HALL, when=ago(40))
    assert await check_claims(ledger) == []  # no count yet
    with pytest.raises(CaseError, match="no cash-box count has found this note"):
        await cases.refund(first.no, 10000, "found?", HALL, MANAGER)
    await count_of_box(ledger, "s1", ago(24 * 60), [(10000, 3, 4), (5000, 2, 2)])
    assert await check_claims(ledger) == [(1, True), (2, False), (3, False)]
    assert [c["no"] for c in await ledger.cases.claims_for_count("s1")] == [1, 2, 3]
    assert (await cases.view(first.no))["may"] == ["note", "recredit", "refund", "writeoff"]
    with pytest.raises(CaseError, match="did not find a note of 100.00"):
        await cases.writeoff(second.no, "x", MANAGER)
    await cases.close(second.no, "the count found no second note", HALL, reject=True)
    outcome, printed = await cases.refund(first.no, 10000, "note found at the count", HALL, MANAGER)
    assert printed and outcome.cash == f"claim:{first.id}"
    day = await ledger.cases.day_figures(ago(24 * 60), format_utc(wall_now() + timedelta(minutes=1)))
    assert day["balance"]["found"] == 10000 and day["balance"]["refunds"] == 10000 and day["balance"]["balanced"]
    assert (await cases.case(other.no)).found is False


async def test_a_claim_after_the_count_waits_for_the_next_one(kiosk: dict[str, Any]) -> None:
    ledger, cases = kiosk["ledger"], kiosk["cases"]
    await count_of_box(ledger, "s1", ago(24 * 60), [(10000, 1, 2)])
    await cases.open_claim(10000, HALL, when=ago(-1))  # the note went in after that box was counted
    assert await check_claims(ledger) == []


async def test_unowned_cash_raises_an_alert_until_a_case_owns_it(kiosk: dict[str, Any]) -> None:
    k, alerts, settings = kiosk, kiosk["alerts"], CasesConfig(alert_after=3600.0)
    result = await pay(k, BLOCKED, 5000)
    await sweep(k["ledger"], alerts, settings)
    assert not alerts.is_open("cash_without_case")  # not old enough yet
    later = wall_now() + timedelta(hours=2)
    await sweep(k["ledger"], alerts, settings, now=later)
    assert alerts.is_open("cash_without_case", f"payment {result.txn}")
    await k["cases"].open_payment(result.seq, HALL)
    assert not alerts.is_open("cash_without_case")
    await sweep(k["ledger"], alerts, settings, now=later)
    assert not alerts.is_open("cash_without_case")  # a case owns it, even while it is open


async def test_a_phone_is_erased_once_the_retention_after_closing_is_over(kiosk: dict[str, Any]) -> None:
    k, cases, settings = kiosk, kiosk["cases"], CasesConfig(contact_retention_days=30)
    result = await pay(k, BLOCKED, 5000)
    case = await cases.open_payment(result.seq, HALL, phone="13912345678")
    await cases.writeoff(case.no, "customer never came back", MANAGER)
    await sweep(k["ledger"], k["alerts"], settings, now=wall_now() + timedelta(days=29))
    assert (await cases.case(case.no)).phone == "13912345678"
    await sweep(k["ledger"], k["alerts"], settings, now=wall_now() + timedelta(days=31))
    erased = await cases.case(case.no)
    assert erased.phone is None and erased.contact_erased
    entries = await k["ledger"].audit_entries()
    assert [e["type"] for e in entries if e["type"] == "case_contact_erased"] == ["case_contact_erased"]
    assert "13912345678" not in str(entries)


async def test_a_pending_payment_too_long_unanswered_raises_the_alert_until_it_is_credited(
        kiosk: dict[str, Any]) -> None:
    k, alerts, settings = kiosk, kiosk["alerts"], CasesConfig(alert_after=3600.0)
    backend = k["backend"]
    backend.faults.fail_5xx, backend.faults.paths = 10**6, ("/v1/payments",)
    with unanswered(k):
        result = await pay(k, "0012345678", 2000)
    assert result.status == "pending"
    await sweep(k["ledger"], alerts, settings, now=wall_now() + timedelta(minutes=59))
    assert not alerts.is_open("cash_without_case")
    later = wall_now() + timedelta(hours=2)
    await sweep(k["ledger"], alerts, settings, now=later)
    assert alerts.is_open("cash_without_case", f"payment {result.txn}")
    shown = [a.detail for a in alerts.open.values() if a.code == "cash_without_case"]
    assert [(d["state"], d["amount"], d["seq"]) for d in shown] == [("pending", 2000, result.seq)]
    # the backend answers at last: the outbox sends the payment, it is credited, the alert is over
    backend.faults.fail_5xx, backend.faults.paths = 0, None
    assert await k["sender"].send(await k["ledger"].outbox_next("payment")) == "done"
    assert (await k["ledger"].transaction(result.txn)).state == "credited"
    await sweep(k["ledger"], alerts, settings, now=later)
    assert not alerts.is_open("cash_without_case")
