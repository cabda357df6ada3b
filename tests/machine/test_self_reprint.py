"""Self-service reprint (补打凭条): account, the payments of the last 24 h, one copy each (virtual time)."""

from __future__ import annotations

import asyncio

import pytest

from statemachine.definition import END_KEYS, Timeouts
from statemachine.model import KioskModel
from tests.machine.conftest import Kiosk
from tests.machine.test_timeouts_and_trouble import wait_for_state

pytestmark = pytest.mark.looptime

R = "service_reprint_"


async def to_choices(k: Kiosk, account: str = "0012345678") -> dict:
    await k.keys("reprint")
    assert k.state == R + "account"
    await k.type(account)
    await k.keys("confirm")
    return k.model.snapshot()


async def test_the_customer_picks_a_recent_payment_and_gets_one_copy(kiosk: Kiosk) -> None:
    snap = await to_choices(kiosk)
    assert snap["state"] == R + "choose"
    assert [(c["n"], c["seq"], c["amount"], c["local_time"], c["used"]) for c in snap["reprint"]["choices"]] == [
        (1, 2, 5000, "12-02 18:30", False), (2, 1, 2000, "12-02 09:05", True)]
    await kiosk.keys("1")
    snap = kiosk.model.snapshot()
    assert (snap["state"], snap["reprint"]["outcome"], snap["reprint"]["seq"]) == (R + "done", "printed", 2)
    assert kiosk.reprints.printed == [("t-2", "zh-CN")]
    assert kiosk.validator.accepting is False
    await kiosk.keys("confirm")
    assert kiosk.state == "service_idle" and kiosk.model.snapshot()["reprint"] is None


async def test_a_payment_already_reprinted_by_the_customer_goes_to_staff(kiosk: Kiosk) -> None:
    await to_choices(kiosk)
    await kiosk.keys("2")
    snap = kiosk.model.snapshot()
    assert (snap["state"], snap["reprint"]["outcome"], snap["reprint"]["seq"]) == (R + "done", "already", 1)
    assert kiosk.reprints.printed == []


async def test_a_digit_that_names_no_payment_is_ignored(kiosk: Kiosk) -> None:
    await to_choices(kiosk)
    await kiosk.keys("7", "0")
    assert kiosk.state == R + "choose"


@pytest.mark.parametrize("outcome", ["failed", "refused"])
async def test_a_copy_that_did_not_come_out_is_told(kiosk: Kiosk, outcome: str) -> None:
    kiosk.reprints.outcome = outcome
    await to_choices(kiosk)
    await kiosk.keys("1")
    assert kiosk.model.snapshot()["reprint"]["outcome"] == outcome


async def test_an_account_without_recent_payments_is_sent_to_staff(kiosk: Kiosk) -> None:
    snap = await to_choices(kiosk, "0023456789")
    assert (snap["state"], snap["reprint"]["outcome"], snap["reprint"]["choices"]) == (R + "done", "none", [])


async def test_the_account_is_typed_like_a_payments(kiosk: Kiosk) -> None:
    await kiosk.keys("reprint")
    await kiosk.type("0012")
    await kiosk.keys("backspace", "confirm")
    snap = kiosk.model.snapshot()
    assert (snap["state"], snap["account"], snap["account_error"]) == (R + "account", "001", "too_short")


@pytest.mark.parametrize("where", ["account", "lookup", "choose"])
async def test_cancel_at_each_step_returns_to_idle(kiosk: Kiosk, where: str) -> None:
    if where == "lookup":
        kiosk.reprints.gate = asyncio.Event()
    await kiosk.keys("reprint")
    if where != "account":
        await kiosk.type("0012345678")
        await kiosk.model.press("confirm")
        if where == "choose":
            await kiosk.settle()
    assert kiosk.state == R + where
    await kiosk.model.press("cancel")  # (not keys(): it would wait for the held list)
    assert kiosk.state == "service_idle"
    if kiosk.reprints.gate is not None:
        kiosk.reprints.gate.set()
        await kiosk.settle()
        assert kiosk.state == "service_idle"  # the late list belongs to no one any more


@pytest.mark.parametrize("key", ["backspace", "cancel", "confirm", "finish", "touch"])
async def test_any_other_key_on_the_reprint_result_returns_to_idle(kiosk: Kiosk, key: str) -> None:
    assert key in END_KEYS
    await to_choices(kiosk)
    await kiosk.keys("1")
    await kiosk.keys(key)
    assert kiosk.state == "service_idle"


async def test_a_digit_on_the_reprint_result_starts_a_payments_account_with_it(kiosk: Kiosk) -> None:
    await to_choices(kiosk)
    await kiosk.keys("1")
    assert kiosk.state == R + "done"
    await kiosk.keys("0")
    snap = kiosk.snapshots[-1]
    assert (snap["state"], snap["account"], snap["reprint"]) == ("payment_account", "0", None)


async def test_a_digit_on_the_reprint_result_of_an_out_of_service_kiosk_does_not_start_a_payment(
    kiosk: Kiosk
) -> None:
    await to_choices(kiosk)
    await kiosk.keys("1")
    kiosk.model.set_problem("printer", "printer")
    await kiosk.keys("0")
    assert kiosk.state == "unavailable"


@pytest.mark.parametrize(("where", "seconds"), [("account", 30), ("choose", 40), ("done", 10)])
async def test_each_reprint_screen_times_out_to_idle(where: str, seconds: int) -> None:
    k = Kiosk(timeouts=Timeouts(account=30, confirm=40, result=10))
    await k.model.trigger("ready")
    await k.keys("reprint")
    if where != "account":
        await to_choices_from_account(k)
    if where == "done":
        await k.keys("1")
    assert k.state == R + where
    took = await wait_for_state(k, "service_idle", seconds + 10)
    assert seconds - 0.5 <= took <= seconds + 1


async def to_choices_from_account(k: Kiosk) -> None:
    await k.type("0012345678")
    await k.keys("confirm")


async def test_a_kiosk_without_self_reprint_ignores_the_key(kiosk: Kiosk) -> None:
    model: KioskModel = kiosk.model
    model.reprints = None
    await kiosk.keys("reprint")
    assert kiosk.state == "service_idle"


async def test_keys_while_the_copy_prints_are_ignored_and_the_outcome_follows(kiosk: Kiosk) -> None:
    """docs/spec/customer-flow.md: the customer whose copy is printing has not been told its outcome
    yet; no key leaves that screen (nor starts a payment), the language key still works."""
    await to_choices(kiosk)
    kiosk.reprints.gate = asyncio.Event()  # the printer is still printing the copy
    await kiosk.model.press("1")
    assert kiosk.state == R + "printing"
    for key in ("0", "5", "backspace", "cancel", "confirm", "finish", "touch", "reprint",
                "rate_good", "invoice"):
        await kiosk.model.press(key)
        assert kiosk.state == R + "printing", key
    await kiosk.model.press("lang")
    assert (kiosk.state, kiosk.model.snapshot()["locale"]) == (R + "printing", "en")
    kiosk.reprints.gate.set()
    await kiosk.settle()
    snap = kiosk.model.snapshot()
    assert (snap["state"], snap["reprint"]["outcome"], snap["account"]) == (R + "done", "printed", "0012345678")
    assert kiosk.reprints.printed == [("t-2", "zh-CN")]  # one copy, though "1" and "5" were pressed again
