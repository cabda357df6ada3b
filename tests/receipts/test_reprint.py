"""Receipt copies from the real journal: numbered and audited; the customer's one per payment of 24 h."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from drivers.base import PrinterStatus
from kioskd import config as kconfig
from kioskd.customer.receipts.printing import Receipts
from kioskd.customer.receipts.reprint import Duplicates
from kioskd.ledger import Ledger, LedgerError
from tests.ledger.conftest import account, paid, raw
from tests.receipts.sample import KEY

ROOT = Path(__file__).resolve().parents[2]


class Printer:
    """A receipt printer that prints (jobs kept) unless out of paper."""

    name = "printer"

    def __init__(self) -> None:
        self.jobs: list[bytes] = []
        self.paper = "ok"

    async def status(self) -> PrinterStatus:
        return PrinterStatus("printer", online=True, cover_open=False, paper=self.paper)  # type: ignore[arg-type]

    async def print_bytes(self, payload: bytes, job: str = "") -> None:
        self.jobs.append(payload)


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[Duplicates, Ledger, Printer]]:
    cfg = kconfig.load(ROOT / "config" / "simulate.toml")
    cfg = dataclasses.replace(cfg, kiosk=dataclasses.replace(cfg.kiosk, tz="Asia/Shanghai"))
    ledger = await Ledger.open(tmp_path, cfg.kiosk.id)
    printer = Printer()
    yield Duplicates(Receipts(cfg, ledger, printer, KEY), tmp_path), ledger, printer
    await ledger.close()


async def settled(ledger: Ledger, *values: int, number: str = "0012345678") -> str:
    txn = await paid(ledger, *values, number=number)
    await ledger.settle(txn, "credited", balance=0, ref="B-1")
    return txn


async def test_the_customer_gets_one_copy_per_payment_audited_and_numbered(setup, tmp_path: Path) -> None:
    dup, ledger, printer = setup
    txn = await settled(ledger, 5000)
    [choice] = await dup.recent_payments("0012345678")
    assert (choice.txn, choice.seq, choice.amount, choice.status, choice.used) == (txn, 1, 5000, "credited", False)
    assert await dup.for_customer(txn, "zh-CN") == "printed"
    assert b"DUPLICATE 1" in printer.jobs[-1]
    assert await dup.for_customer(txn, "zh-CN") == "already"
    assert len(printer.jobs) == 1
    assert [c.used for c in await dup.recent_payments("0012345678")] == [True]
    # staff may still print more copies; each numbered on
    n, _ = await dup.print_copy(await ledger.transaction(txn), {"by": "guide-7"})
    assert n == 2 and b"DUPLICATE 2" in printer.jobs[-1]
    entries = [e for e in await ledger.audit_entries() if e["type"] == "reprint"]
    assert [(e["data"]["by"], e["data"]["duplicate"]) for e in entries] == [("customer", 1), ("guide-7", 2)]


async def test_a_copy_the_printer_could_not_print_is_not_used_up(setup) -> None:
    dup, ledger, printer = setup
    txn = await settled(ledger, 2000)
    printer.paper = "out"
    assert await dup.for_customer(txn, "en") == "failed"
    printer.paper = "ok"
    assert await dup.for_customer(txn, "en") == "printed"


async def test_only_the_accounts_payments_of_the_last_24_hours_newest_first(setup, tmp_path: Path) -> None:
    dup, ledger, printer = setup
    old = await settled(ledger, 100)
    await settled(ledger, 500, number="0023456789")  # someone else's
    recent = [await settled(ledger, 1000 * i) for i in range(1, 7)]
    await paid(ledger)  # a look-up that took no cash
    with raw(tmp_path) as db:  # the first payment was two days ago
        db.execute("UPDATE txns SET started = '2000-01-01T00:00:00.000Z' WHERE id = ?", (old,))
    choices = await dup.recent_payments("0012345678")
    assert [c.txn for c in choices] == recent[::-1][:5]
    assert all(len(c.local_time) == len("12-02 18:30") for c in choices)
    assert await dup.for_customer(old, "zh-CN") == "refused"  # not offered: staff decide
    assert printer.jobs == []


async def test_the_journal_keeps_one_customer_copy_per_payment(setup, tmp_path: Path) -> None:
    dup, ledger, printer = setup
    txn = await settled(ledger, 100)
    await ledger.mark_self_reprint(txn)
    with pytest.raises(LedgerError, match="already reprinted"):
        await ledger.mark_self_reprint(txn)
    none_taken = await ledger.open_payment(account())
    conn = raw(tmp_path)
    for sql, args in [("DELETE FROM self_reprints", ()), ("UPDATE self_reprints SET at = 'x'", ()),
                      ("INSERT INTO self_reprints (txn, at) VALUES (?, 'x')", (none_taken,))]:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(sql, args)
