"""A patrol check-in on the kiosk's keypad: `finish` at the idle screen, the duty staff's ID and
PIN, three checks; recorded with who and each check, and the kiosk back to customers after the
result, the keys typed then swallowed."""

from __future__ import annotations

import pytest

from kioskd.config import PatrolConfig
from kioskd.hall.registers.patrol import Patrols
from kioskd.hall.registers.patrol_desk import MaintenanceDesk, PatrolDesk
from tests.custody.conftest import Site
from tests.fakes import FakeAlerts


@pytest.fixture
async def desk(site: Site) -> PatrolDesk:
    await site.ledger.staff_add("2001", "王芳", "hall", "112233", {"by": "test"})
    patrols = Patrols(site.ledger, FakeAlerts(), PatrolConfig(every=3600.0), "Asia/Shanghai")
    patrol = PatrolDesk(patrols, site.accounts, site.kiosk.model, timeout=120.0, guard=3.0, result_timeout=120.0,
                        custody_busy=lambda: site.custody.busy)
    site.kiosk.model.attach_custody(MaintenanceDesk(site.custody, patrol))  # as kioskd.hall.registers.wiring does
    site.custody.make_way = patrol.give_way
    return patrol


@pytest.mark.looptime
async def test_a_patrol_checks_in_on_the_keypad(site: Site, desk: PatrolDesk) -> None:
    await site.keys("finish")
    assert site.state == "maintenance_login"
    assert site.screen["custody"]["mode"] == "patrol" and site.screen["custody"]["step"] == "id"
    await site.keys(*"2001", "confirm", *"000000", "confirm")  # a wrong PIN: the ID again, tries left counted
    assert (site.screen["custody"]["step"], site.screen["custody"]["message"]) == ("id", "bad_secret")
    await site.keys(*"2001", "confirm", *"1122", )
    assert site.screen["custody"]["entry"] == "****"  # the PIN is masked
    await site.keys(*"33", "confirm")
    assert site.screen["custody"]["step"] == "screen_ok"
    assert site.screen["custody"]["person"] == {"id": "2001", "name": "王芳"}
    await site.keys("1", "0", "1")  # the screen works, paper is out, no tampering
    assert site.state == "maintenance_result" and site.screen["custody"]["outcome"] == "recorded"
    [patrol] = await site.ledger.registers.patrols()
    assert (patrol["by"], patrol["via"], patrol["screen_ok"], patrol["paper_ok"], patrol["seal_ok"]) == (
        "2001", "keypad", True, False, True)

    await site.keys(*"0012345678")  # a customer's digits now are swallowed
    assert site.state == "maintenance_result"
    assert desk._timer is not None
    await desk._timer
    assert site.state == "service_idle" and site.screen["custody"] is None


@pytest.mark.looptime
async def test_cancel_and_silence_end_a_check_in_without_a_record(site: Site, desk: PatrolDesk) -> None:
    await site.keys("finish", "cancel")  # a customer who pressed finish by mistake: back at once
    assert site.state == "service_idle" and site.screen["custody"] is None and not desk.active
    await site.keys(*"001")
    assert site.state == "payment_account"  # their digits are theirs again
    await site.keys("cancel")
    await site.keys("finish")
    assert desk._timer is not None
    await desk._timer  # no ID typed within login time
    assert site.screen["custody"]["outcome"] == "timeout"
    assert await site.ledger.registers.patrols() == []


@pytest.mark.looptime
async def test_a_custody_session_takes_the_display_from_a_check_in(site: Site, desk: PatrolDesk) -> None:
    await site.keys("finish", *"2001", "confirm")
    assert site.screen["custody"]["mode"] == "patrol" and site.screen["custody"]["step"] == "pin"
    assert await site.custody.start("door")  # the technicians open the door meanwhile
    assert site.state == "maintenance_login" and site.screen["custody"].get("mode") != "patrol"
    assert not desk.active
    await site.login("1001")
    await site.login("1002")
    assert site.state == "maintenance_open"  # the session's keys reach the session, not the check-in
    await site.keys("finish")  # no check-in starts while a session holds the display
    assert not desk.active and site.state == "maintenance_open"
    assert await site.ledger.registers.patrols() == []
