"""The register records a kiosk puts in its batches (handover, counterfeit, difference, claim,
key, patrol) are what the backend's schema accepts, and the backend refuses each of them altered
in a way that would change what the hall recorded, naming the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kioskd.config import PatrolConfig
from kioskd.hall.accounts import Person
from kioskd.hall.registers.differences import Differences
from kioskd.hall.registers.keys import KeyRegister
from kioskd.hall.registers.patrol import Patrols
from refbackend.fieldchecks import BadRequest
from refbackend.registerrules import check_register_record
from tests.custody.conftest import TECHS, Site
from tests.custody.test_count import count
from tests.fakes import FakeAlerts
from tests.ledger.conftest import paid

HALL = Person("2001", "王芳", "hall", "kioskctl", uid=1000)  # through the control socket: its caller's uid too
MANAGER = Person("8001", "赵经理", "manager", "page")


async def every_kind_of_record(site: Site) -> dict[str, dict[str, Any]]:
    """A count with a counterfeit and a short claimed and compensated, a key handed on, a patrol:
    the last batch record of each kind."""
    await paid(site.ledger, 10000, 5000, 5000)
    await site.custody.start("service_key")
    await site.login("1001")
    await site.login("1002")
    await site.custody.stacker_opened()
    await site.custody.stacker_closed()
    await count(site, {5000: 1}, [(10000, "WR12345678")])
    await site.keys(*TECHS["1001"][1], "confirm", *TECHS["1002"][1], "confirm")
    await site.leave()
    differences = Differences(site.ledger, "UTC")
    nos = [d["id"] for d in await differences.listing()]
    claim = (await differences.resolve(nos, "vendor_claim", "validator took a fake", None, HALL, MANAGER))["claim"]
    await differences.settle(claim, "compensated", MANAGER, vendor_ref="V-1")
    tech = Person("1001", TECHS["1001"][0], "technician", "page")
    await KeyRegister(site.ledger).hand("box-1", MANAGER, tech, "issued", key="box")
    [fake] = await site.ledger.registers.counterfeits()
    await site.ledger.registers.set_photo(fake["id"], "photos/WR12345678.jpg", HALL.audit())
    patrols = Patrols(site.ledger, FakeAlerts(), PatrolConfig(), "UTC")
    await patrols.check_in(HALL, {"screen_ok": True, "paper_ok": False, "seal_ok": True}, "paper refilled")
    return {r["kind"]: r for r in await site.ledger.registers.records_after(0)}  # the latest of each kind


@pytest.mark.looptime
async def test_the_backend_accepts_a_kiosks_register_records_and_refuses_them_altered(site: Site) -> None:
    records = await every_kind_of_record(site)
    assert sorted(records) == ["claim", "counterfeit", "difference", "handover", "key", "patrol"]
    for kind, record in records.items():
        check_register_record(record, kind)  # as the kiosk sent it: accepted
    assert records["claim"]["status"] == "compensated" and records["counterfeit"]["serial"] == "WR12345678"
    assert (records["counterfeit"]["photo"], records["counterfeit"]["by"]) == ("photos/WR12345678.jpg", "2001")

    def altered(kind: str, change: Any) -> str:
        record = copy.deepcopy(records[kind])
        change(record)
        with pytest.raises(BadRequest) as refused:
            check_register_record(record, "records[0]")
        return str(refused.value)

    assert "digest: not the SHA-256" in altered("handover", lambda r: r["record"]["totals"].update(short=0))
    assert "unknown fields ['tip']" in altered("patrol", lambda r: r.update(tip=1))
    assert "screen_ok, paper_ok, seal_ok" in altered("patrol", lambda r: r.update(paper_ok="no"))
    assert "approved_by: a second person" in altered("difference", lambda r: r.update(approved_by=r["by"]))
    assert "outcome: one of" in altered("difference", lambda r: r.update(outcome="surplus"))
    # only an over is explained by an in-doubt note (the whole daemon sends one: tests/crash/test_in_doubt.py)
    assert "doubt: only an over" in altered("difference", lambda r: r.update(doubt=1))
    assert "doubt: integer >= 1" in altered("difference", lambda r: r.update(type="over", doubt="1"))
    assert "to: someone else" in altered("key", lambda r: r.update({"from": r["to"]}))
    assert "status: one of" in altered("claim", lambda r: r.update(status="paid"))
    assert "differences: one number per note" in altered("claim", lambda r: r["differences"].pop())
    assert "missing ['serial']" in altered("counterfeit", lambda r: r.pop("serial"))
    assert records["patrol"]["uid"] == 1000
    assert "uid: integer >= 0" in altered("patrol", lambda r: r.update(uid="root"))
