"""The customer's path through the machine, with fakes; what the screen would show."""

from __future__ import annotations

import pytest

from statemachine.model import Rules
from tests.machine.conftest import Kiosk


async def test_start_goes_idle_with_the_validator_inhibited(kiosk: Kiosk) -> None:
    assert kiosk.state == "service_idle"
    assert kiosk.validator.accepting is False


async def test_a_digit_at_idle_starts_account_entry_with_that_digit(kiosk: Kiosk) -> None:
    await kiosk.keys("0")
    assert kiosk.state == "payment_account"
    assert kiosk.snapshots[-1]["account"] == "0"


@pytest.mark.parametrize("key", ["confirm", "touch"])
async def test_confirm_or_touch_at_idle_starts_an_empty_account(kiosk: Kiosk, key: str) -> None:
    await kiosk.keys(key)
    assert kiosk.state == "payment_account"
    assert kiosk.snapshots[-1]["account"] == ""


async def test_editing_the_account_number(kiosk: Kiosk) -> None:
    await kiosk.type("12345")
    await kiosk.keys("backspace", "backspace", "9")
    assert kiosk.snapshots[-1]["account"] == "1239"


async def test_account_stops_at_the_maximum_length(kiosk: Kiosk) -> None:
    await kiosk.type("1" * 20)
    assert kiosk.snapshots[-1]["account"] == "1" * 16


async def test_a_short_account_is_refused_locally_without_a_lookup(kiosk: Kiosk) -> None:
    await kiosk.type("123")
    await kiosk.keys("confirm")
    assert kiosk.state == "payment_account"
    assert kiosk.snapshots[-1]["account_error"] == "too_short"
    await kiosk.keys("4")
    assert kiosk.snapshots[-1]["account_error"] is None


async def test_luhn_check_digit_is_enforced_when_configured() -> None:
    k = Kiosk(rules=Rules(check_digit="luhn"))
    await k.model.trigger("ready")
    await k.type("79927398710")
    await k.keys("confirm")
    assert k.snapshots[-1]["account_error"] == "check_digit"
    await k.keys("backspace", "3", "confirm")  # 79927398713 is Luhn-valid
    assert k.state == "payment_help"  # valid format, unknown to the backend
    assert k.snapshots[-1]["lookup_error"] == "unknown_account"


async def test_lookup_shows_the_masked_holder_and_amount_due(kiosk: Kiosk) -> None:
    await kiosk.type("0012345678")
    await kiosk.keys("confirm")
    snap = kiosk.snapshots[-1]
    assert kiosk.state == "payment_confirm"
    assert snap["info"] == {"holder": "张*明", "due": 12350, "balance": -12350, "min": 100, "max": 500000}


@pytest.mark.parametrize("account,reason", [("0011111111", "unknown_account"), ("0099999999", "account_blocked")])
async def test_failed_lookup_goes_to_help_and_takes_no_cash(kiosk: Kiosk, account: str, reason: str) -> None:
    await kiosk.type(account)
    await kiosk.keys("confirm")
    assert kiosk.state == "payment_help"
    assert kiosk.snapshots[-1]["lookup_error"] == reason
    assert kiosk.journal.txns == {}
    await kiosk.keys("cancel")  # (a digit starts the account again: tests/machine/test_visit.py)
    assert kiosk.state == "service_idle"


async def test_a_full_payment(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    assert kiosk.validator.accepting is True
    await kiosk.insert(10000)
    await kiosk.insert(5000)
    snap = kiosk.snapshots[-1]
    assert (snap["notes"], snap["total"]) == ([10000, 5000], 15000)
    assert kiosk.journal.intents[-2:] == [(kiosk.model.txn, 10000), (kiosk.model.txn, 5000)]
    await kiosk.keys("finish")
    assert kiosk.state == "payment_done"
    assert kiosk.validator.accepting is False
    result = kiosk.snapshots[-1]["result"]
    assert (result["status"], result["amount"], result["ref"], result["seq"]) == ("credited", 15000, "B-1", 1)
    assert kiosk.snapshots[-1]["receipt"] == "printed"
    assert [r.amount for r in kiosk.receipts.printed] == [15000]
    await kiosk.keys("cancel")
    assert kiosk.state == "service_idle"
    assert kiosk.snapshots[-1]["total"] == 0


async def test_confirm_also_finishes_the_cash_step(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    await kiosk.insert(2000)
    await kiosk.keys("confirm")
    assert kiosk.state == "payment_done"


async def test_the_stack_intent_is_journalled_before_stack_is_sent(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    await kiosk.model.trigger("note_escrowed", 500)
    assert kiosk.journal.intents == [(kiosk.model.txn, 500)]
    assert kiosk.validator.actions[-1] == "stack"
    assert kiosk.state == "payment_cash_stacking"


async def test_a_note_over_the_accounts_max_is_returned_with_the_most_still_payable(kiosk: Kiosk) -> None:
    await kiosk.type("0087654321")  # max 20000 fen
    await kiosk.keys("confirm", "confirm")
    await kiosk.insert(10000)
    await kiosk.insert(10000)
    await kiosk.insert(100)
    snap = kiosk.snapshots[-1]
    assert kiosk.validator.actions[-1] == "return"
    assert snap["message"] == "note_returned_limit"
    assert (snap["total"], snap["max_more"]) == (20000, 0)
    assert kiosk.state == "payment_cash_waiting"


async def test_config_max_payment_bounds_a_payment_too() -> None:
    k = Kiosk(rules=Rules(max_payment=15000))
    await k.model.trigger("ready")
    await k.to_cash()
    await k.insert(10000)
    await k.insert(10000)
    assert k.validator.actions[-1] == "return"
    assert k.snapshots[-1]["max_more"] == 5000


async def test_max_notes_returns_the_next_note() -> None:
    k = Kiosk(rules=Rules(max_notes=2))
    await k.model.trigger("ready")
    await k.to_cash()
    for _ in range(3):
        await k.insert(100)
    assert k.snapshots[-1]["notes"] == [100, 100]
    assert k.snapshots[-1]["message"] == "max_notes"


@pytest.mark.parametrize("key", ["finish", "confirm"])
async def test_finish_below_the_minimum_is_refused(kiosk: Kiosk, key: str) -> None:
    await kiosk.type("0087654321")  # min 1000 fen
    await kiosk.keys("confirm", "confirm")
    await kiosk.insert(500)
    await kiosk.keys(key)
    assert kiosk.state == "payment_cash_waiting"
    assert kiosk.snapshots[-1]["message"] == "below_min"


@pytest.mark.parametrize("key", ["finish", "confirm"])
async def test_finish_with_no_notes_ends_without_a_payment(kiosk: Kiosk, key: str) -> None:
    await kiosk.to_cash()
    await kiosk.keys(key)
    assert kiosk.state == "service_idle"
    assert [t["state"] for t in kiosk.journal.txns.values()] == ["cancelled"]
    assert kiosk.payments.submitted == []


async def test_a_rejected_note_is_said_and_cash_goes_on(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    await kiosk.model.trigger("note_rejected", "counterfeit")
    assert kiosk.state == "payment_cash_waiting"
    assert kiosk.snapshots[-1]["message"] == "note_rejected"


async def test_a_note_refused_as_inhibited_is_not_called_unrecognised(kiosk: Kiosk) -> None:
    """A denomination not enabled (or a stopping kiosk) is refused whole: the note itself is fine."""
    await kiosk.to_cash()
    await kiosk.model.trigger("note_rejected", "inhibited", True)
    assert kiosk.state == "payment_cash_waiting"
    assert kiosk.snapshots[-1]["message"] == "note_not_taken"


@pytest.mark.parametrize("where", ["service_idle", "payment_account", "payment_confirm", "payment_done"])
async def test_a_note_escrowed_outside_cash_is_handed_back(kiosk: Kiosk, where: str) -> None:
    if where != "service_idle":
        await kiosk.type("0012345678")
    if where in ("payment_confirm", "payment_done"):
        await kiosk.keys("confirm")
    if where == "payment_done":
        await kiosk.keys("confirm")
        await kiosk.insert(100)
        await kiosk.keys("finish")
    assert kiosk.state == where
    before = kiosk.validator.actions.count("stack")
    await kiosk.model.trigger("note_escrowed", 500)
    await kiosk.settle()
    assert kiosk.state == where
    assert kiosk.validator.actions[-1] == "return"
    assert kiosk.validator.actions.count("stack") == before


async def test_language_toggles_in_every_state_without_changing_it(kiosk: Kiosk) -> None:
    for step in ("idle", "account", "confirm", "cash"):
        if step == "account":
            await kiosk.type("0012345678")
        elif step == "confirm":
            await kiosk.keys("confirm")
        elif step == "cash":
            await kiosk.keys("confirm")
        before = kiosk.state
        locale = kiosk.model.locale
        await kiosk.keys("lang")
        assert kiosk.state == before
        assert kiosk.snapshots[-1]["locale"] != locale


async def test_a_flagged_payment_prints_and_then_asks_for_staff(kiosk: Kiosk) -> None:
    kiosk.payments.status = "flagged"
    await kiosk.to_cash()
    await kiosk.insert(1000)
    await kiosk.keys("finish")
    assert kiosk.state == "payment_help"
    snap = kiosk.snapshots[-1]
    assert snap["result"]["status"] == "flagged" and snap["help"]["reason"] == "flagged"
    await kiosk.keys("confirm")
    assert kiosk.state == "service_idle"
    assert len(kiosk.payments.submitted) == 1


async def test_a_pending_payment_is_shown_as_pending_never_credited(kiosk: Kiosk) -> None:
    kiosk.payments.status = "pending"
    await kiosk.to_cash()
    await kiosk.insert(1000)
    await kiosk.keys("finish")
    assert kiosk.state == "payment_done"
    assert kiosk.snapshots[-1]["result"]["status"] == "pending"


async def test_receipt_failure_is_told_and_the_payment_stays(kiosk: Kiosk) -> None:
    kiosk.receipts.ok = False
    await kiosk.to_cash()
    await kiosk.insert(1000)
    await kiosk.keys("finish")
    assert kiosk.state == "payment_done"
    snap = kiosk.snapshots[-1]
    assert snap["receipt"] == "failed" and snap["result"]["status"] == "credited"


async def test_a_stale_lookup_after_cancel_is_ignored(kiosk: Kiosk) -> None:
    import asyncio

    kiosk.payments.lookup_gate = asyncio.Event()
    await kiosk.type("0012345678")
    await kiosk.model.press("confirm")
    assert kiosk.state == "payment_lookup"
    await kiosk.model.press("cancel")
    assert kiosk.state == "service_idle"
    kiosk.payments.lookup_gate.set()
    await kiosk.settle()
    assert kiosk.state == "service_idle"


async def test_finish_pressed_while_a_note_goes_in_takes_effect_when_it_lands(kiosk: Kiosk) -> None:
    from tests.fakes import credit

    await kiosk.to_cash()
    await kiosk.model.trigger("note_escrowed", 2000)
    assert kiosk.state == "payment_cash_stacking"
    await kiosk.keys("finish")
    assert kiosk.state == "payment_cash_stacking"  # the note is not in yet
    await credit(kiosk.model, 2000)
    await kiosk.settle()
    assert kiosk.state == "payment_done"
    assert kiosk.snapshots[-1]["result"]["amount"] == 2000
