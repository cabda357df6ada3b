"""Keys on the end screens, a validator lost mid-payment, start-up, maintenance, out of service."""

from __future__ import annotations

import pytest

from tests.machine.conftest import Kiosk

KEYS = ["7", "backspace", "cancel", "confirm", "finish", "touch"]


async def lost_validator_with(kiosk: Kiosk, value: int) -> None:
    await kiosk.to_cash()
    await kiosk.insert(value)
    await kiosk.model.trigger("validator_lost")
    assert kiosk.state == "payment_help"
    assert kiosk.payments.submitted == []


@pytest.mark.parametrize("key", KEYS)
async def test_any_key_on_a_help_screen_with_counted_cash_submits_it(kiosk: Kiosk, key: str) -> None:
    # (a stuck note is different: keys wait with it, tests/machine/test_stuck_note.py)
    await lost_validator_with(kiosk, 2000)
    await kiosk.keys(key)
    assert kiosk.state == "payment_done"
    assert len(kiosk.payments.submitted) == 1
    assert kiosk.snapshots[-1]["result"]["amount"] == 2000


@pytest.mark.parametrize("key", [k for k in KEYS if not k.isdigit()])  # a digit: tests/machine/test_visit.py
async def test_any_key_on_a_help_screen_with_nothing_owed_returns_to_idle(kiosk: Kiosk, key: str) -> None:
    await kiosk.type("0011111111")  # unknown to the backend
    await kiosk.keys("confirm")
    assert kiosk.state == "payment_help"
    await kiosk.keys(key)
    assert kiosk.state == "service_idle"
    assert kiosk.snapshots[-1]["help"] is None and kiosk.snapshots[-1]["account"] == ""


@pytest.mark.parametrize("key", [k for k in KEYS if not k.isdigit()])  # a digit: tests/machine/test_visit.py
async def test_any_key_on_the_result_screen_returns_to_idle(kiosk: Kiosk, key: str) -> None:
    await kiosk.to_cash()
    await kiosk.insert(1000)
    await kiosk.keys("finish")
    assert kiosk.state == "payment_done"
    await kiosk.keys(key)
    assert kiosk.state == "service_idle"
    assert len(kiosk.payments.submitted) == 1
    assert kiosk.snapshots[-1]["total"] == 0


async def test_a_validator_lost_mid_payment_asks_for_staff_and_keeps_the_counted_cash(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    await kiosk.insert(5000)
    await kiosk.model.trigger("validator_lost")
    assert kiosk.state == "payment_help"
    assert kiosk.snapshots[-1]["help"] == {"reason": "validator_offline", "detail": None, "total": 5000}
    assert kiosk.validator.actions[-1] == "inhibit"
    await kiosk.keys("confirm")
    assert kiosk.snapshots[-1]["result"]["amount"] == 5000


async def test_a_validator_lost_before_any_note_ends_without_a_payment(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    await kiosk.model.trigger("validator_lost")
    assert kiosk.snapshots[-1]["help"] == {"reason": "validator_offline", "detail": None, "total": 0}
    await kiosk.keys("cancel")
    assert kiosk.state == "service_idle"
    assert [t["state"] for t in kiosk.journal.txns.values()] == ["cancelled"]
    assert kiosk.payments.submitted == []


async def test_health_changes_while_starting_are_weighed_once_at_ready() -> None:
    k = Kiosk()
    k.model.set_problem("printer", "printer")
    await k.model.trigger("health_changed")
    assert k.state == "starting"
    k.model.set_problem("printer", None)
    await k.model.trigger("health_changed")
    assert k.state == "starting"
    await k.model.trigger("ready")
    assert k.state == "service_idle"


async def out_of_service() -> Kiosk:
    k = Kiosk()
    k.model.set_problem("validator", "validator_offline")
    await k.model.trigger("ready")
    assert k.state == "unavailable"
    return k


@pytest.mark.parametrize("start", ["service_idle", "unavailable"])
@pytest.mark.parametrize("healthy_at_end", [True, False])
async def test_a_custody_session_inhibits_cash_and_ends_where_health_says(
    kiosk: Kiosk, start: str, healthy_at_end: bool
) -> None:
    k = kiosk if start == "service_idle" else await out_of_service()
    k.model.set_problem("validator", None)
    for trigger, state in [("custody_start", "maintenance_login"), ("custody_open", "maintenance_open"),
                           ("custody_count", "maintenance_count")]:
        await k.model.trigger(trigger)
        assert k.state == state
        assert k.validator.accepting is False
    assert k.validator.actions[-1] == "inhibit"
    if not healthy_at_end:
        k.model.set_problem("stacker", "stacker_full")
    await k.model.trigger("custody_end")  # the session's result stays on screen, keys go to custody
    assert k.state == "maintenance_result" and k.validator.accepting is False
    await k.model.trigger("custody_done")
    assert k.state == ("service_idle" if healthy_at_end else "unavailable")
    if not healthy_at_end:
        assert k.snapshots[-1]["unavailable"] == {"reason": "stacker_full"}


@pytest.mark.parametrize("during", ["maintenance_login", "maintenance_open", "maintenance_count"])
async def test_a_session_ending_at_any_step_shows_its_result_and_a_new_one_may_start_there(
    kiosk: Kiosk, during: str
) -> None:
    await kiosk.model.trigger("ready")
    for trigger, state in [("custody_start", "maintenance_login"), ("custody_open", "maintenance_open"),
                           ("custody_count", "maintenance_count")]:
        await kiosk.model.trigger(trigger)
        if state == during:
            break
    await kiosk.model.trigger("custody_end")
    assert kiosk.state == "maintenance_result" and kiosk.validator.accepting is False
    await kiosk.model.trigger("custody_start")  # the door opened again: a new session, no customer between
    assert kiosk.state == "maintenance_login"


async def test_custody_cannot_start_in_the_middle_of_a_payment(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    await kiosk.model.trigger("custody_start")
    assert kiosk.state == "payment_cash_waiting"


async def at(where: str) -> Kiosk:
    k = Kiosk()
    if where == "unavailable":
        return await out_of_service()
    if where.startswith("maintenance"):
        await k.model.trigger("ready")
        await k.model.trigger("custody_start")
    if where == "maintenance_result":
        await k.model.trigger("custody_end")
    assert k.state == where
    return k


@pytest.mark.parametrize("where", ["starting", "unavailable", "maintenance_login", "maintenance_result"])
async def test_where_no_payment_is_taken_a_note_is_handed_back_and_lang_still_works(where: str) -> None:
    k = await at(where)
    await k.model.trigger("note_escrowed", 1000)
    await k.settle()
    assert k.validator.actions[-1] == "return"
    assert "stack" not in k.validator.actions
    assert k.journal.intents == []
    locale = k.model.locale
    await k.keys("lang")
    assert k.state == where
    assert k.model.snapshot()["locale"] != locale
