"""Dual custody at the keypad: the box is released only to two distinct, valid technicians."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.custody.conftest import Site


async def released(site: Site) -> bool:
    return bool(await site.entries("custody_open"))


async def test_two_distinct_technicians_release_the_box_and_both_are_recorded(site: Site) -> None:
    assert await site.custody.start("service_key")
    assert site.state == "maintenance_login"
    await site.login("1001")
    assert site.screen["custody"]["step"] == "tech2_id"
    assert site.screen["custody"]["tech1"] == {"id": "1001", "name": "张伟"}
    await site.login("1002")
    assert site.state == "maintenance_open"
    assert site.kiosk.validator.accepting is False
    opened = (await site.entries("custody_open"))[0]
    assert (opened["tech1"], opened["tech2"]) == ("1001", "1002")
    row = await site.ledger.custody_session(site.custody.session.id)
    assert (row["tech1"], row["tech2"], row["source"]) == ("1001", "1002", "service_key")
    # both technicians are on the statement handed to the printer
    assert site.printed[0].tech1 == ("1001", "张伟") and site.printed[0].tech2 == ("1002", "李娜")


async def test_pin_is_never_shown_on_screen(site: Site) -> None:
    await site.custody.start("service_key")
    await site.keys("1", "0", "0", "1", "confirm", "1", "3", "5")
    assert site.screen["custody"]["entry"] == "***"
    assert "135" not in str(site.screen)


@pytest.mark.looptime
async def test_the_same_technician_twice_ends_the_session(site: Site) -> None:
    await site.custody.start("door")
    await site.login("1001")
    await site.keys(*"1001", "confirm")
    assert site.state == "maintenance_result"
    await site.leave()
    assert site.state == "service_idle"
    assert not await released(site)
    end = (await site.entries("custody_end"))[-1]
    assert (end["outcome"], end["reason"], end["tech1"]) == ("aborted", "same_technician", "1001")
    # the box out now is tampering: one person alone cannot open it unrecorded
    await site.custody.stacker_opened()
    assert "box_tamper" in site.alerts.raised
    assert site.state == "unavailable"


@pytest.mark.looptime
async def test_one_technician_alone_times_out(site: Site) -> None:
    await site.custody.start("service_key")
    await site.login("1001")
    await site.custody.stacker_opened()  # tries to pull the box with one key only
    assert "box_tamper" in site.alerts.raised
    assert "box_removed" not in site.alerts.raised
    await site.custody._timer  # the session's own 120 s timer
    assert site.state == "maintenance_result" and site.screen["custody"]["reason"] == "timeout"
    await site.leave()
    assert site.state == "unavailable"
    assert not await released(site)
    assert (await site.entries("custody_end"))[-1]["reason"] == "timeout"


@pytest.mark.looptime
async def test_second_technician_at_the_121st_second_is_too_late(site: Site) -> None:
    await site.custody.start("service_key")
    await site.login("1001")
    t0 = asyncio.get_running_loop().time()
    await asyncio.sleep(121)
    assert asyncio.get_running_loop().time() - t0 >= 121
    await site.login("1002")  # typed onto the timed-out session's result: swallowed
    assert site.state == "maintenance_result" and site.screen["custody"]["reason"] == "timeout"
    assert not await released(site)
    assert (await site.entries("custody_end"))[-1]["reason"] == "timeout"


@pytest.mark.looptime
async def test_second_technician_at_the_119th_second_is_in_time(site: Site) -> None:
    await site.custody.start("service_key")
    await site.login("1001")
    await asyncio.sleep(119)
    await site.login("1002")
    assert site.state == "maintenance_open"
    assert await released(site)


async def test_five_wrong_pins_lock_the_technician_out_for_15_minutes(site: Site) -> None:
    await site.custody.start("service_key")
    for attempt in range(4):
        await site.login("1001", "000000")
        assert site.screen["custody"]["message"] == "bad_pin", attempt
        assert site.screen["custody"]["tries_left"] == 4 - attempt
        assert site.state == "maintenance_login"
    await site.login("1001", "000000")  # the fifth
    assert site.state == "maintenance_result"
    locked = await site.entries("staff_locked")
    assert locked and (locked[0]["staff"], locked[0]["via"]) == ("1001", "keypad")
    assert (await site.entries("custody_end"))[-1]["reason"] == "locked"

    # the right PIN does not help while locked
    await site.custody.start("service_key")
    await site.login("1001")
    assert site.state == "maintenance_result" and site.screen["custody"]["reason"] == "locked"
    assert not await released(site)
    results = [e["result"] for e in await site.entries("staff_auth")]
    assert results == ["bad_secret"] * 5 + ["locked"]

    site.clock.now += timedelta(minutes=15, seconds=1)
    await site.custody.start("service_key")
    await site.login("1001")
    await site.login("1002")
    assert site.state == "maintenance_open"


async def test_a_locked_out_second_technician_does_not_release_the_box(site: Site) -> None:
    for _ in range(5):
        await site.accounts.authenticate("1002", "999999", via="page")
    await site.custody.start("service_key")
    await site.login("1001")
    await site.login("1002")
    assert site.state == "maintenance_result"
    assert (site.screen["custody"]["reason"], site.screen["custody"]["staff"]) == ("locked", "1002")
    assert not await released(site)


async def test_a_disabled_technician_ends_the_session(site: Site) -> None:
    await site.ledger.staff_disable("1003", {"by": "test"})
    await site.custody.start("kioskctl")
    await site.login("1001")
    await site.login("1003")
    assert site.state == "maintenance_result"
    assert not await released(site)
    assert (await site.entries("custody_end"))[-1]["reason"] == "disabled"


async def test_cancel_during_login_ends_the_session_recorded(site: Site) -> None:
    await site.custody.start("service_key")
    await site.keys("1", "cancel")
    assert site.state == "maintenance_result"
    assert (await site.entries("custody_end"))[-1]["reason"] == "cancelled"


async def test_no_session_during_a_payment(site: Site) -> None:
    await site.kiosk.to_cash()
    assert not await site.custody.start("kioskctl")
    assert site.state == "payment_cash_waiting"


async def test_every_session_end_is_signed(site: Site) -> None:
    await site.custody.start("service_key")
    await site.keys("cancel")
    end_seq = [e["seq"] for e in await site.ledger.audit_entries() if e["type"] == "custody_end"][-1]
    # the checkpoint is the entry right after the session's end, signed in the same transaction
    assert (await site.ledger.audit_last_checkpoint())["seq"] == end_seq + 1
    assert await site.audit_problems() == []
