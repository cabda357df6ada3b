"""The daily report against a real journal, and alerts' storage (outbox, audit, restart file)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kioskd.hall.alerts import Alerts
from kioskd.hall.paid_figures import day_bounds
from kioskd.hall.reports import daily_report, report_lines
from kioskd.ledger import Ledger
from statemachine.ports import AccountInfo

TZ = "Asia/Shanghai"


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    led = await Ledger.open(tmp_path, "K-T", "CNY")
    try:
        yield led
    finally:
        await led.close()


async def paid(ledger: Ledger, account: str, notes: list[int], status: str, reason: str | None = None) -> str:
    txn = await ledger.open_payment(AccountInfo(account, "张*", 10000, 0, "CNY", 1, 500000))
    for value in notes:
        await ledger.stack_requested(txn, value)
        await ledger.commit_note(txn, value)
    assert await ledger.close_payment(txn)
    if status != "closed":
        await ledger.settle(txn, status, reason=reason)
    return txn


def test_day_bounds_are_the_local_midnights_in_utc() -> None:
    day = datetime(2024, 3, 1).date()
    assert day_bounds(day, TZ) == ("2024-02-29T16:00:00.000Z", "2024-03-01T16:00:00.000Z")


async def test_daily_report_figures(ledger: Ledger) -> None:
    credited = await paid(ledger, "0011", [10000], "credited")
    await ledger.rate_payment(credited, "good")
    await ledger.rate_payment(await paid(ledger, "0022", [100, 100], "pending"), "good")
    flagged = await paid(ledger, "0033", [500, 100, 100], "flagged", reason="rejected: account closed")
    await ledger.rate_payment(flagged, "poor")
    cancelled = await ledger.open_payment(AccountInfo("0044", "李*", 0, 0, "CNY", 1, 500000))
    assert not await ledger.close_payment(cancelled)  # took no cash: not a payment
    today = datetime.now(ZoneInfo(TZ)).date()
    r = await daily_report(ledger, today, tz=TZ, kiosk="K-T", currency="CNY")
    assert r["count"] == 3 and r["total"] == 10900
    assert r["average"] == 3633  # 10900 / 3 rounded down to the fen
    assert r["by_note"] == {"100": {"count": 4, "total": 400}, "500": {"count": 1, "total": 500},
                            "10000": {"count": 1, "total": 10000}}
    assert r["by_status"] == {"credited": {"count": 1, "total": 10000}, "flagged": {"count": 1, "total": 700},
                              "pending": {"count": 1, "total": 200}}
    assert [p["account"] for p in r["pending"]] == ["0022"]
    assert [(f["txn"], f["reason"]) for f in r["flagged"]] == [(flagged, "rejected: account closed")]
    assert sum(h["count"] for h in r["by_hour"].values()) == 3
    assert r["box"]["total"] == r["box_today"]["total"] == 10900
    assert r["ratings"] == {"good": 2, "fair": 0, "poor": 1}
    zh = "\n".join(report_lines(r, "zh-CN"))
    assert "缴费笔数: 3" in zh and "合计: 109.00 元" in zh and "待人工处理: 1" in zh
    assert "客户评价: 满意 2, 一般 0, 不满意 1" in zh
    en = "\n".join(report_lines(r, "en"))
    assert "Payments: 3" in en and "Flagged for staff: 1" in en
    assert "Customer ratings: satisfied 2, neutral 0, dissatisfied 1" in en
    yesterday = await daily_report(ledger, today - timedelta(days=1), tz=TZ, kiosk="K-T", currency="CNY")
    assert yesterday["count"] == 0 and yesterday["average"] == 0 and yesterday["box"]["total"] == 10900


async def test_alert_changes_go_to_outbox_audit_and_survive_a_restart(ledger: Ledger, tmp_path: Path) -> None:
    state = tmp_path / "alerts.json"
    alerts = Alerts(ledger, state_file=state)
    alerts.raise_alert("stacker_full", "critical")
    alerts.raise_alert("stacker_full", "critical")  # still open: not a second alert
    alerts.raise_alert("printer_paper_low", "warning")
    full = alerts.open[("stacker_full", "validator")]
    assert alerts.acknowledge(full.id, "guide-7") and not alerts.acknowledge(full.id)
    alerts.clear_alert("printer_paper_low")
    await alerts.drain()
    rows = sqlite3.connect(ledger.path).execute("SELECT key, body FROM outbox WHERE kind = 'alert' ORDER BY id")
    got = [(json.loads(body)["code"], key.split(":")[1]) for key, body in rows]
    assert got == [("stacker_full", "raised"), ("printer_paper_low", "raised"),
                   ("stacker_full", "acknowledged"), ("printer_paper_low", "cleared")]
    assert (await ledger.audit_head())[0] == 4 and await ledger.audit_verify() is None

    again = Alerts(ledger, state_file=state)
    await again.restore()
    assert [(a["id"], a["state"], a["acknowledged_by"]) for a in again.listing()] == [
        (full.id, "acknowledged", "guide-7")]
    assert [a["code"] for a in again.listing(include_cleared=True)] == ["stacker_full", "printer_paper_low"]
    again.raise_alert("stacker_full", "critical")  # the cause seen again after the restart: same alert
    assert again.open[("stacker_full", "validator")].id == full.id
    assert again.staff_clear(full.id[:8], "manager") and again.listing() == []
    await again.drain()


async def test_one_open_alert_per_code_and_device(ledger: Ledger, tmp_path: Path) -> None:
    alerts = Alerts(ledger, state_file=tmp_path / "alerts.json")
    alerts.raise_alert("payment_flagged", "critical", device="payment T-1", reason="closed")
    alerts.raise_alert("payment_flagged", "critical", device="payment T-2", reason="closed")
    alerts.raise_alert("payment_flagged", "critical", device="payment T-1", reason="closed")  # same: no new one
    alerts.raise_alert("validator_offline", "critical")
    alerts.raise_alert("validator_offline", "critical", device="validator")  # the code's own device
    listed = alerts.listing()
    assert sorted((a["code"], a["device"]) for a in listed) == [
        ("payment_flagged", "payment T-1"), ("payment_flagged", "payment T-2"),
        ("validator_offline", "validator")]
    alerts.clear_alert("payment_flagged", "payment T-1")
    assert alerts.is_open("payment_flagged") and not alerts.is_open("payment_flagged", "payment T-1")
    await alerts.drain()
    sent = [json.loads(body) for (body,) in sqlite3.connect(ledger.path).execute(
        "SELECT body FROM outbox WHERE kind = 'alert' ORDER BY id")]
    assert [(b["code"], b["detail"]["device"], b["state"]) for b in sent] == [
        ("payment_flagged", "payment T-1", "raised"), ("payment_flagged", "payment T-2", "raised"),
        ("validator_offline", "validator", "raised"), ("payment_flagged", "payment T-1", "cleared")]


async def test_alerts_saved_before_devices_existed_are_restored(ledger: Ledger, tmp_path: Path) -> None:
    state = tmp_path / "alerts.json"
    old = {"id": "0c7d6f1e-1111-4222-8333-944455556666", "code": "note_jam", "severity": "critical",
           "state": "raised", "at": "2026-11-20T08:00:00Z", "detail": {}, "raised_at": "2026-11-20T08:00:00Z",
           "acknowledged_by": ""}
    state.write_text(json.dumps({"open": [old], "recent": []}))
    alerts = Alerts(ledger, state_file=state)
    await alerts.restore()
    alerts.raise_alert("note_jam", "critical")  # the jam seen again: the same alert, not a second
    assert [(a["id"], a["device"]) for a in alerts.listing()] == [(old["id"], "validator")]
    alerts.clear_alert("note_jam")
    assert alerts.listing() == []
    await alerts.drain()
