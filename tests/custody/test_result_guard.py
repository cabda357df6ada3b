"""After a custody session ends, keys typed at the kiosk stay in maintenance: none of them reaches
customer account entry or the backend, until a key has been pressed and the guard time has passed."""

from __future__ import annotations

import asyncio

import pytest

from tests.custody.conftest import Site

GUARD = 3.0  # [custody] result_guard's default


def customer_states(site: Site) -> list[str]:
    return [s["state"] for s in site.kiosk.snapshots if s["state"].startswith("payment")]


@pytest.mark.looptime
async def test_an_abort_then_a_technicians_id_and_pin_never_reach_the_backend(site: Site) -> None:
    await site.custody.start("door")
    await site.login("1001")
    await site.keys(*"1001", "confirm")  # the same technician again: the session is aborted
    # the technicians go on typing, as for the second login: ID, confirm, PIN, confirm
    await site.keys(*"1002", "confirm", *"246802", "confirm")
    assert site.state == "maintenance_result"
    shown = site.screen["custody"]
    assert (shown["step"], shown["outcome"], shown["reason"]) == ("ended", "aborted", "same_technician")
    assert site.kiosk.payments.looked_up == [] and customer_states(site) == []
    # the result stays while keys keep coming, and for the guard time after the last one
    await asyncio.sleep(GUARD - 0.1)
    await site.keys("9")
    await asyncio.sleep(GUARD - 0.1)
    assert site.state == "maintenance_result"
    await asyncio.sleep(0.2)
    assert site.state == "service_idle"
    assert site.kiosk.payments.looked_up == [] and customer_states(site) == []
    # from now on the kiosk serves customers again
    await site.keys("0")
    assert site.state == "payment_account" and site.screen["account"] == "0"


@pytest.mark.looptime
async def test_nobody_at_the_result_returns_to_service_after_result_timeout(site: Site) -> None:
    await site.custody.start("service_key")
    await site.keys("cancel")
    assert site.state == "maintenance_result" and site.screen["custody"]["reason"] == "cancelled"
    await asyncio.sleep(119)
    assert site.state == "maintenance_result"
    await asyncio.sleep(2)
    assert site.state == "service_idle"


@pytest.mark.looptime
async def test_a_lockout_shows_until_when_and_swallows_the_keys_after_it(site: Site) -> None:
    await site.custody.start("service_key")
    for attempt in range(4):
        await site.login("1001", "000000")
        shown = site.screen["custody"]
        assert (shown["message"], shown["tries_left"]) == ("bad_pin", 4 - attempt)
    await site.login("1001", "000000")
    shown = site.screen["custody"]
    assert (shown["step"], shown["reason"], shown["staff"]) == ("ended", "locked", "1001")
    assert shown["locked_until"] == "2025-03-01T08:15:00.000Z"
    await site.keys(*"0012345678", "confirm")  # a customer's account typed at once: not taken
    assert site.state == "maintenance_result" and site.kiosk.payments.looked_up == []
