"""A note between escrow and the box: the device hands it back, refuses it, or finish is pressed."""

from __future__ import annotations

import asyncio

import pytest

from tests.fakes import credit
from tests.machine.conftest import Kiosk


async def hold_in_escrow(kiosk: Kiosk, value: int) -> tuple[asyncio.Task, asyncio.Event]:
    """Offer a note and keep the machine in payment_cash_escrow until the gate opens.

    The stack command is held, as a slow serial link would: the machine has decided but the
    device has not been told yet, so device events and keys meet the machine in escrow.
    """
    asked, gate = asyncio.Event(), asyncio.Event()
    stack = kiosk.validator.stack

    async def held_stack() -> None:
        asked.set()
        await gate.wait()
        await stack()

    kiosk.validator.stack = held_stack  # type: ignore[method-assign]
    offered = asyncio.create_task(kiosk.model.trigger("note_escrowed", value))
    async with asyncio.timeout(1):
        await asked.wait()
    assert kiosk.state == "payment_cash_escrow"
    return offered, gate


async def to_note_in(kiosk: Kiosk, where: str, value: int) -> tuple[asyncio.Task, asyncio.Event] | None:
    """Bring one note to `where` (escrow or stacking) in the cash step."""
    if where == "escrow":
        return await hold_in_escrow(kiosk, value)
    await kiosk.model.trigger("note_escrowed", value)
    assert kiosk.state == "payment_cash_stacking"
    return None


async def release(held: tuple[asyncio.Task, asyncio.Event] | None, kiosk: Kiosk) -> None:
    if held is not None:
        offered, gate = held
        gate.set()
        await offered
    await kiosk.settle()


@pytest.mark.parametrize("where", ["escrow", "stacking"])
@pytest.mark.parametrize("event,message", [("note_returned", None), ("note_rejected", "note_rejected")])
async def test_a_note_the_device_hands_back_is_never_counted(
    kiosk: Kiosk, where: str, event: str, message: str | None
) -> None:
    await kiosk.to_cash()
    await kiosk.insert(1000)
    held = await to_note_in(kiosk, where, 5000)
    await kiosk.model.trigger(event, 5000)
    await release(held, kiosk)
    assert kiosk.state == "payment_cash_waiting"
    assert kiosk.validator.accepting is True  # the customer may try again
    snap = kiosk.snapshots[-1]
    assert (snap["notes"], snap["total"], snap["message"]) == ([1000], 1000, message)
    await kiosk.keys("finish")
    assert kiosk.snapshots[-1]["result"]["amount"] == 1000
    assert kiosk.journal.txns[kiosk.model.txn]["notes"] == [1000]


@pytest.mark.parametrize("where", ["escrow", "stacking"])
@pytest.mark.parametrize("key", ["finish", "confirm"])
async def test_finish_while_a_note_goes_in_waits_for_it_and_counts_it(
    kiosk: Kiosk, where: str, key: str
) -> None:
    await kiosk.to_cash()
    held = await to_note_in(kiosk, where, 2000)
    await kiosk.model.press(key)
    assert kiosk.state == f"payment_cash_{where}"  # the note is not in yet
    await release(held, kiosk)
    assert kiosk.state == "payment_cash_stacking"
    assert kiosk.payments.submitted == []
    await credit(kiosk.model, 2000)
    await kiosk.settle()
    assert kiosk.state == "payment_done"
    assert kiosk.snapshots[-1]["result"]["amount"] == 2000
    assert kiosk.validator.accepting is False


async def test_finish_while_a_note_is_handed_back_ends_without_it(kiosk: Kiosk) -> None:
    await kiosk.to_cash()
    await kiosk.insert(1000)
    await kiosk.model.trigger("note_escrowed", 500)
    await kiosk.keys("finish")
    await kiosk.model.trigger("note_returned", 500)
    await kiosk.settle()
    assert kiosk.state == "payment_done"
    assert kiosk.snapshots[-1]["result"]["amount"] == 1000
