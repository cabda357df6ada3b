"""The invoice key on the result screen: asked once per payment that took cash (virtual time)."""

from __future__ import annotations

import asyncio

import pytest

from statemachine.ports import PaymentResult
from tests.machine.conftest import Kiosk
from tests.machine.test_visit import paid

pytestmark = pytest.mark.looptime


class FakeDesk:
    """The invoice desk: answers what the test says, when the test lets it."""

    def __init__(self, state: str = "issued") -> None:
        self.state, self.asked = state, []
        self.gate: asyncio.Event | None = None

    async def request(self, result: PaymentResult, locale: str) -> tuple[str, str | None]:
        self.asked.append((result.txn, locale))
        if self.gate is not None:
            await self.gate.wait()
        return self.state, "26110000000000000001" if self.state == "issued" else None


async def test_the_invoice_is_asked_for_once_and_its_number_shown(kiosk: Kiosk) -> None:
    desk = FakeDesk()
    kiosk.model.attach_invoices(desk)
    txn = await paid(kiosk)
    await kiosk.keys("invoice")
    assert kiosk.state == "payment_done"
    assert desk.asked == [(txn, "zh-CN")]
    assert kiosk.snapshots[-1]["invoice"] == {"state": "issued", "number": "26110000000000000001"}
    await kiosk.keys("invoice")  # one request per payment
    assert len(desk.asked) == 1
    await kiosk.keys("cancel")
    assert kiosk.state == "service_idle" and kiosk.snapshots[-1]["invoice"] is None


async def test_while_the_backend_is_away_the_screen_says_it_is_kept(kiosk: Kiosk) -> None:
    desk = FakeDesk("pending")
    desk.gate = asyncio.Event()
    kiosk.model.attach_invoices(desk)
    kiosk.payments.status = "flagged"  # a flagged payment gets no invoice: staff handle it
    await paid_on_help(kiosk)
    await kiosk.keys("invoice")
    assert desk.asked == [] and kiosk.snapshots[-1]["invoice"] is None
    kiosk.payments.status = "credited"
    await kiosk.keys("cancel")
    await paid(kiosk)
    await kiosk.model.press("invoice")
    assert kiosk.model.snapshot()["invoice"] == {"state": "requesting", "number": None}
    desk.gate.set()
    await kiosk.settle()
    assert kiosk.snapshots[-1]["invoice"] == {"state": "pending", "number": None}


async def test_a_late_answer_after_the_customer_left_is_not_shown_to_the_next(kiosk: Kiosk) -> None:
    desk = FakeDesk()
    desk.gate = asyncio.Event()
    kiosk.model.attach_invoices(desk)
    await paid_on_help_or_done(kiosk)
    await kiosk.model.press("invoice")
    await kiosk.model.press("cancel")
    desk.gate.set()
    await kiosk.settle()
    assert kiosk.state == "service_idle" and kiosk.snapshots[-1]["invoice"] is None


async def paid_on_help(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    await kiosk.insert(5000)
    await kiosk.keys("finish")
    assert kiosk.state == "payment_help"


async def paid_on_help_or_done(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    await kiosk.insert(5000)
    await kiosk.keys("finish")
    assert kiosk.state in ("payment_help", "payment_done")
