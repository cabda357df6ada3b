"""Fixtures for the ledger tests: a real journal file in tmp_path."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kioskd.ledger import Ledger
from statemachine.ports import AccountInfo

KIOSK = "K-0001"
PIN_KEY = bytes(range(32))  # what kioskd.uplink.keys.pin_key derives from a kiosk key


def account(number: str = "0012345678", due: int = 12350) -> AccountInfo:
    """A looked-up account as the backend would answer it."""
    return AccountInfo(
        account=number, holder="张*明", due=due, balance=-due, currency="CNY", min=100, max=500000
    )


def raw(state_dir: Path) -> sqlite3.Connection:
    """A second, plain sqlite3 connection to the journal (what an attacker or bug could do)."""
    conn = sqlite3.connect(str(state_dir / "journal.sqlite3"), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    opened = await Ledger.open(tmp_path, KIOSK)
    yield opened
    await opened.close()


async def credit(ledger: Ledger, txn: str, value: int = 1000) -> None:
    """A note as the daemon credits it: intent before STACK, credit after."""
    await ledger.stack_requested(txn, value)
    await ledger.commit_note(txn, value)


async def paid(ledger: Ledger, *values: int, number: str = "0012345678") -> str:
    """Run a whole cash session with `values` and close it; returns the txn id."""
    txn = await ledger.open_payment(account(number))
    for value in values:
        await credit(ledger, txn, value)
    await ledger.close_payment(txn)
    return txn


async def follow_up_refused(ledger: Ledger) -> tuple[str, str]:
    """A payment ended with its last note still on the way; the note lands: (first, follow-up), refused."""
    first = await ledger.open_payment(account())
    await credit(ledger, first, 5000)
    await ledger.stack_requested(first, 2000)
    await ledger.close_payment(first)  # the note was held (a jam): the payment ended without it
    follow_up, _ = await ledger.commit_in_flight_note()  # type: ignore[misc]
    await ledger.settle(follow_up, "flagged", balance=None, ref=None, reason="rejected: account_closed")
    return first, follow_up
