"""The daily and range reports' figures, summed by SQLite, against the payments added up one by one."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from kioskd.hall.range_report import range_report
from kioskd.hall.reports import daily_report, report_lines
from kioskd.ledger import Ledger, TxnRecord
from kioskd.system.clock import CLOCK
from statemachine.ports import AccountInfo

FIRST = datetime(2026, 3, 7, tzinfo=UTC)  # New York moves to summer time on 8 March (a 23-hour day)
DAYS = [date(2026, 3, 7) + timedelta(days=i) for i in range(3)]
NOTES = (100, 500, 1000, 2000, 5000, 10000)
STATES = ("closed", "credited", "pending", "flagged")

pytestmark = pytest.mark.asyncio(loop_scope="module")  # one journal for every zone


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def journal(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Ledger, list[str]]]:
    """150 payments spread over three UTC days (and a few that took no cash), each started and ended at a
    seeded random minute and second; the ids of the ones that took cash."""
    ledger = await Ledger.open(tmp_path_factory.mktemp("sums"), "K-T", "CNY")
    rng, paid = random.Random(23), []
    try:
        for n in range(160):
            at = FIRST + timedelta(minutes=29 * n + rng.randrange(29), seconds=rng.randrange(60))
            CLOCK.offset = (at - datetime.now(UTC)).total_seconds()  # the payment starts `at`
            txn = await ledger.open_payment(AccountInfo(f"{n:04d}", "张*", 10000, 0, "CNY", 1, 500000))
            if n % 16 == 15:  # the customer walked away: no cash, not a payment
                assert not await ledger.close_payment(txn)
                continue
            for value in rng.choices(NOTES, k=rng.randint(1, 3)):
                await ledger.stack_requested(txn, value)
                await ledger.commit_note(txn, value)
            assert await ledger.close_payment(txn)
            if (state := STATES[n % 4]) != "closed":
                await ledger.settle(txn, state, reason="rejected" if state == "flagged" else None)
            paid.append(txn)
        CLOCK.offset = 0.0
        yield ledger, paid
    finally:
        CLOCK.offset = 0.0
        await ledger.close()


def one_by_one(txns: list[TxnRecord], tz: str) -> dict[str, Any]:
    """The figures added up payment by payment (as the reports did before SQLite summed them)."""
    def add(figures: dict, key: Any, amount: int) -> None:
        fig = figures.setdefault(key, {"count": 0, "total": 0})
        fig["count"] += 1
        fig["total"] += amount

    by_hour: dict = {}
    by_day: dict = {}
    by_status: dict = {}
    notes: Counter[int] = Counter()
    for t in txns:
        local = datetime.fromisoformat(str(t.ended)).astimezone(ZoneInfo(tz))
        add(by_hour, f"{local.hour:02d}", t.amount)
        add(by_day, local.date().isoformat(), t.amount)
        add(by_status, t.state, t.amount)
        notes.update(n.value for n in t.notes)
    total = sum(t.amount for t in txns)
    return {"count": len(txns), "total": total, "average": total // len(txns) if txns else 0,
            "by_hour": dict(sorted(by_hour.items())), "days": by_day, "by_status": dict(sorted(by_status.items())),
            "by_note": {str(v): {"count": c, "total": v * c} for v, c in sorted(notes.items())},
            "box_today": {"notes": sum(notes.values()), "total": sum(v * c for v, c in notes.items())},
            "pending": [t.id for t in txns if t.state in ("pending", "closed")],
            "flagged": [t.id for t in txns if t.state == "flagged"]}


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu"])
async def test_daily_and_range_figures_are_the_payments_added_up(journal: tuple[Ledger, list[str]], tz: str) -> None:
    ledger, paid = journal
    everything = [t for t in await ledger.transactions() if t.id in set(paid)]
    assert len(everything) == 150  # the walk-aways took no cash
    reported = 0
    for day in DAYS:
        zone = ZoneInfo(tz)
        txns = [t for t in everything if datetime.fromisoformat(str(t.ended)).astimezone(zone).date() == day]
        expected = one_by_one(txns, tz)
        r = await daily_report(ledger, day, tz=tz, kiosk="K-T", currency="CNY")
        for key in ("count", "total", "average", "by_hour", "by_status", "by_note", "box_today"):
            assert r[key] == expected[key], (day, key)
        assert [p["txn"] for p in r["pending"]] == expected["pending"]
        assert [p["txn"] for p in r["flagged"]] == expected["flagged"]
        assert r["count"] > 0
        assert f"Payments: {expected['count']}" in report_lines(r, "en")
        reported += r["count"]
    week = await range_report(ledger, DAYS[0], DAYS[-1], tz=tz, kiosk="K-T", currency="CNY")
    in_range = [t for t in everything if datetime.fromisoformat(str(t.ended)).astimezone(ZoneInfo(tz)).date() in DAYS]
    expected = one_by_one(in_range, tz)
    assert week["count"] == reported == expected["count"] >= 100
    assert len(week["by_hour"]) == 24  # every local hour has payments: each bucket landed somewhere
    assert week["days"] == {d.isoformat(): expected["days"].get(d.isoformat(), {"count": 0, "total": 0})
                            for d in DAYS}
    for key in ("total", "average", "by_hour", "by_status", "by_note"):
        assert week[key] == expected[key], key
