"""Each note a count leaves over, short or counterfeit settled as its kind allows: an over matched
to a customer's claim the count found, to a customer's receipt, or kept as surplus, a short or a counterfeit written off as a loss; open
differences stay in the daily report's figures until settled, and the chain holds every step."""

from __future__ import annotations

import uuid

import pytest

from backend_api.fields import format_utc
from kioskd.hall.accounts import Person
from kioskd.hall.cases.claims import check_claims
from kioskd.hall.registers.differences import Differences, RegisterError
from kioskd.hall.registers.figures import register_figures, register_lines
from kioskd.system.clock import wall_now
from tests.custody.conftest import Site
from tests.custody.test_count import count
from tests.ledger.conftest import paid

HALL = Person("2001", "王芳", "hall", "page")
MANAGER = Person("8001", "赵经理", "manager", "page")


@pytest.mark.looptime
async def test_overs_matched_to_a_claim_and_a_receipt_a_surplus_and_losses(site: Site) -> None:
    receipt = await site.ledger.transaction(await paid(site.ledger, 10000))
    await paid(site.ledger, 5000, 5000)
    assert receipt is not None and receipt.seq is not None
    # a customer says a 100 went in just now and was not counted: the count of this box will find it
    claim = await site.ledger.cases.open(kind="claim", txn=None, account=None, amount=10000, phone=None,
                                         claimed_at=format_utc(wall_now()),
                                         by=HALL.audit(), case_id=str(uuid.uuid4()))
    await site.custody.start("service_key")
    await site.login("1001")
    await site.login("1002")
    await site.custody.stacker_opened()
    await site.custody.stacker_closed()
    # the box: 3 genuine 100s and a counterfeit 100 (the counters say 1: three over), one 50 of two
    await count(site, {10000: 3, 5000: 1}, [(10000, "AB00000001")])
    await site.keys(*"135790", "confirm", *"246802", "confirm")
    await site.leave()

    assert await check_claims(site.ledger) == [(claim.no, True)]
    differences = Differences(site.ledger, "UTC")
    listed = await differences.listing()
    assert {c["no"] for d in listed if d["kind"] == "over" for c in d["cases"]} == {claim.no}  # "may be case 1"
    found = {d["id"]: d["kind"] for d in listed}
    assert sorted(found.values()) == ["counterfeit", "over", "over", "over", "short"]
    over = [no for no, kind in found.items() if kind == "over"]
    short = next(no for no, kind in found.items() if kind == "short")
    fake = next(no for no, kind in found.items() if kind == "counterfeit")
    figures = await register_figures(site.ledger, "", "~")
    # all counted in this report's period: listed there, none carried over
    assert sorted(d["kind"] for d in figures["open"]["period"]["listed"]) == sorted(found.values())
    assert figures["open"]["count"] == 5 and figures["open"]["earlier"] == {"count": 0, "total": 0, "oldest": []}
    assert "Differences still open: 5 / 450.00" in register_lines(figures, "en", lambda f: f"{f / 100:.2f}")

    refusals = [
        ((over[:1], "loss", None), "may be settled as case, receipt, surplus"),  # an over is no loss
        (([short], "surplus", None), "may be settled as vendor_claim, loss"),
        ((over[:1], "receipt", None), "receipt's serial number is required"),
        ((over[:1], "receipt", "999"), "no payment 999"),
    ]
    for (nos, outcome, ref), why in refusals:
        with pytest.raises(RegisterError, match=why):
            await differences.resolve(nos, outcome, "checked", ref, HALL, MANAGER)
    with pytest.raises(RegisterError, match="second person"):
        await differences.resolve([short], "loss", "checked", None, MANAGER, MANAGER)

    await differences.resolve(over[:1], "receipt", "the customer's note stuck, found", str(receipt.seq), HALL, MANAGER)
    with pytest.raises(RegisterError, match="explains one note"):
        await differences.resolve(over[1:], "case", "the customer's claim", str(claim.no), HALL, MANAGER)
    await differences.resolve(over[1:2], "case", "the customer's claim", str(claim.no), HALL, MANAGER)
    with pytest.raises(RegisterError, match="already explains another difference"):
        await differences.resolve(over[2:], "case", "the same claim again", str(claim.no), HALL, MANAGER)
    await differences.resolve(over[2:], "surplus", "no claim yet", None, HALL, MANAGER)
    with pytest.raises(RegisterError, match="already resolved"):
        await differences.resolve(over[1:2], "surplus", "again", None, HALL, MANAGER)
    await differences.resolve([short, fake], "loss", "not recovered", None, HALL, MANAGER)

    settled = {d["id"]: d for d in await differences.listing(status="resolved")}
    assert settled[over[0]]["outcome"] == "receipt" and settled[over[0]]["ref"] == receipt.id
    assert settled[over[1]]["ref"] == claim.id
    assert [settled[n]["outcome"] for n in (*over[1:], short, fake)] == ["case", "surplus", "loss", "loss"]
    assert all(settled[n]["claim"] is None for n in settled)  # a loss claims nothing from the vendor
    assert (await register_figures(site.ledger, "", "~"))["open"]["count"] == 0
    resolved = await site.entries("difference_resolved")
    assert len(resolved) == 5 and {e["approved_by"] for e in resolved} == {"8001"}
    assert await site.audit_problems() == []
