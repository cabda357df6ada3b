"""A payment across local midnight, at a whole simulated kiosk whose clock libfaketime sets.

The customer starts paying at 23:50 (Asia/Shanghai, the kiosk's and the halls' time zone) and
finishes at 00:00:05 the next day. The payment belongs to the day it ended (docs/spec/registers.md,
"Which day a payment belongs to"): the kiosk's daily close of each day and the backend's day balance
of each day agree, figure by figure, and the reconciliation file dates it on the day it ended.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend_api.fields import format_utc
from refbackend.fleet.cases import case_books, day_balances
from refbackend.fleet.forecast import day_bounds_utc
from refbackend.store import SQLiteStore
from tests.daemon import faketime_env, start_kiosk
from tests.staff.conftest import Staff

pytestmark = pytest.mark.slow

ZONE = ZoneInfo("Asia/Shanghai")  # the kiosk's [kiosk] tz and the simulated backend's [fleet] timezone
KIOSK = "K-SIM-01"
NOTHING = {"box": 0, "found": 0, "refunds": 0, "credited": 0, "unresolved": 0, "written_off": 0, "balanced": True}


def set_clock(fake: Path, local: datetime) -> None:
    """Make the daemon's clock read `local` now (libfaketime re-reads the offset file at each call)."""
    offset = round((local - datetime.now(ZONE)).total_seconds())
    fake.write_text(f"{offset:+d}\n", encoding="ascii")


def backend_day(state: Path, day: date) -> dict[str, Any]:
    """The backend's day balance of the kiosk for a local day (nothing when it had no cash that day)."""
    store = SQLiteStore(state / "backend.sqlite3")
    try:
        start, end = (format_utc(t) for t in day_bounds_utc(day, ZONE))
        return day_balances(store, start, end, case_books(store)).get(KIOSK, NOTHING)
    finally:
        store.close()


async def test_a_payment_across_midnight_counts_on_the_day_it_ended(libfaketime: str, tmp_path: Path) -> None:
    before = datetime.now(ZONE).date() + timedelta(days=1)
    after = before + timedelta(days=1)
    fake = tmp_path / "faketime"
    set_clock(fake, datetime.combine(before, time(23, 50), ZONE))
    kiosk = await start_kiosk(tmp_path / "s", env=faketime_env(libfaketime, fake))
    staff = Staff(kiosk)
    try:
        await kiosk.to_cash()
        await kiosk.insert(5000)
        await kiosk.until(lambda s: len(s["notes"]) == 1, "the note counted")
        set_clock(fake, datetime.combine(after, time(0, 0, 5), ZONE))  # midnight passes while the customer pays
        await kiosk.press("finish")
        done = await kiosk.until(lambda s: s["state"] == "payment_done", "the result")
        assert done["result"]["status"] == "credited"
        await kiosk.press("confirm")
        await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")

        txn = (await staff.json("txn", "list"))["txns"][-1]
        local = [datetime.fromisoformat(txn[k].replace("Z", "+00:00")).astimezone(ZONE).date() for k in
                 ("started", "ended")]
        assert local == [before, after], txn  # it did start before midnight and end after it

        closes = {day: (await staff.json("report", "close", day.isoformat()))["report"] for day in (before, after)}
        head = closes[after]["audit"]["seq"]

        async def batched() -> bool:
            store = SQLiteStore(kiosk.state_dir / "backend.sqlite3")
            try:
                return store.report()["audit_heads"][0]["audit_seq"] >= head
            finally:
                store.close()
        await staff.until(batched, "the daily closes' batch at the backend")
        exported = await staff.json("report", "export", before.isoformat(), after.isoformat())
    finally:
        await kiosk.stop()

    for day, close in closes.items():  # the kiosk's daily close and the backend's day, figure by figure
        theirs = backend_day(kiosk.state_dir, day)
        assert {k: close["cases"]["balance"][k] for k in theirs} == theirs, (day, close["cases"], theirs)
    assert (closes[before]["count"], closes[before]["total"]) == (0, 0), closes[before]
    assert (closes[after]["count"], closes[after]["total"]) == (1, 5000), closes[after]
    assert closes[after]["by_hour"] == {"00": {"count": 1, "total": 5000}}
    assert closes[after]["box_today"] == {"notes": 1, "total": 5000}
    assert backend_day(kiosk.state_dir, after)["credited"] == 5000
    assert [(row["day"], row["amount"]) for row in exported["rows"]] == [(after.isoformat(), 5000)]
