"""The machine gives up waiting for the journal to close a payment (its thread stuck on a write):
the close is done once, late or by the recovery, and the payment is named for submission once."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from kioskd.ledger import Ledger
from tests.ledger.conftest import account, credit


async def closes_of(ledger: Ledger, txn: str) -> list[str]:
    """The states the chain recorded for `txn`, in order."""
    rows = await ledger._run(lambda: ledger._db.execute(  # type: ignore[union-attr]
        "SELECT data FROM audit WHERE kind = 'txn_state' ORDER BY seq").fetchall())
    return [d["state"] for d in (json.loads(data) for (data,) in rows) if d["txn"] == txn]


async def given_up(ledger: Ledger, call: Any) -> None:
    """The machine's bounded wait for the journal's answer, run out."""
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await call


async def test_a_close_given_up_behind_a_stuck_write_is_done_once_by_the_recovery(ledger: Ledger) -> None:
    txn = await ledger.open_payment(account())
    await credit(ledger, txn, 5000)
    write_back = threading.Event()
    stuck = asyncio.ensure_future(ledger._run(lambda: write_back.wait(60)))  # a write ahead of the close
    await asyncio.sleep(0)  # its first step queues it on the ledger's thread
    try:
        await given_up(ledger, ledger.close_payment(txn))
    finally:
        write_back.set()
    await stuck
    assert (await ledger.transaction(txn)).state == "open"  # the close never ran: its caller had gone
    assert await ledger.recover() == [txn]  # the storage watch's recovery: closed, to submit once
    assert (await ledger.transaction(txn)).state == "closed"
    assert await closes_of(ledger, txn) == ["closed"]  # one close in the chain


async def test_a_close_given_up_while_its_write_was_stuck_lands_late_and_is_not_done_again(
    ledger: Ledger,
) -> None:
    txn = await ledger.open_payment(account())
    await credit(ledger, txn, 5000)
    store: Any = ledger._journal
    write_back, close = threading.Event(), store.close_payment

    def stuck_close(txn: str) -> bool:
        write_back.wait(60)  # the fsync that does not end, until the test lets it
        return bool(close(txn))

    store.close_payment = stuck_close
    try:
        await given_up(ledger, ledger.close_payment(txn))
    finally:
        write_back.set()
    assert await ledger.recover() == [txn]  # queued behind the late close: finds it closed, names it once
    assert await closes_of(ledger, txn) == ["closed"]  # one close in the chain
