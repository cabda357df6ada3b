"""Every reason the backend and the kiosk know reaches the screen as a code it has words for."""

from __future__ import annotations

import pytest

from statemachine.reasons import lookup_reason, payment_reason
from tests.machine.conftest import Kiosk


@pytest.mark.parametrize(("reason", "detail", "code"), [
    ("unknown_account", "0011", "unknown_account"),
    ("account_blocked", "blocked", "account_blocked"),
    ("account_blocked", "frozen", "account_frozen"),
    ("account_blocked", "Closed", "account_closed"),
    ("account_blocked", "", "account_blocked"),  # a backend that gives no reason
    ("account_blocked", "suspended", "account_blocked"),
    ("unreachable", "HTTP 401", "unreachable"),
])
def test_lookup_failures(reason: str, detail: str, code: str) -> None:
    assert lookup_reason(reason, detail) == code


@pytest.mark.parametrize(("status", "reason", "code"), [
    ("credited", None, None),
    ("pending", None, "unreachable"),
    ("flagged", "rejected: account_frozen", "account_frozen"),
    ("flagged", "rejected: account_closed", "account_closed"),
    ("flagged", "rejected: account_blocked", "account_blocked"),
    ("flagged", "rejected: unknown_account", "unknown_account"),
    ("flagged", "rejected: over_max", "over_limit"),
    ("flagged", "rejected: currency", "currency"),
    ("flagged", "rejected: a reason nobody told us about", "refused"),
    ("flagged", "conflict", "refused"),
    ("flagged", "bad_request: notes[0].value", "refused"),
    ("flagged", None, "refused"),
])
def test_payment_outcomes(status: str, reason: str | None, code: str | None) -> None:
    assert payment_reason(status, reason) == code


async def test_a_frozen_account_at_look_up_is_named(kiosk: Kiosk) -> None:
    await kiosk.type("0088888888")
    await kiosk.keys("confirm")
    snap = kiosk.snapshots[-1]
    assert snap["state"] == "payment_help"
    assert snap["help"] == {"reason": "lookup", "detail": "account_frozen", "total": 0}


async def test_a_payment_refused_after_the_cash_is_in_says_why(kiosk: Kiosk) -> None:
    kiosk.payments.status, kiosk.payments.refusal = "flagged", "rejected: account_frozen"
    await kiosk.to_cash()
    await kiosk.insert(2000)
    await kiosk.keys("finish")
    snap = kiosk.snapshots[-1]
    assert snap["state"] == "payment_help"
    assert snap["help"] == {"reason": "flagged", "detail": "account_frozen", "total": 2000}
    assert (snap["result"]["status"], snap["result"]["reason_code"]) == ("flagged", "account_frozen")


async def test_a_pending_payment_says_the_backend_is_unreachable(kiosk: Kiosk) -> None:
    kiosk.payments.status = "pending"
    await kiosk.to_cash()
    await kiosk.insert(1000)
    await kiosk.keys("finish")
    snap = kiosk.snapshots[-1]
    assert (snap["state"], snap["result"]["reason_code"]) == ("payment_done", "unreachable")
