"""kioskctl shows why a follow-up payment exists and how it ended, in both languages (txn show, case show),
from the daemon's own answers over the real control handlers and journal."""

from __future__ import annotations

from pathlib import Path

import pytest

from kioskd.cli.cases import _show_case
from kioskd.cli.staff import _show_txn
from kioskd.hall.cases.service import Cases
from kioskd.hall.export import PAYMENT_COLUMNS, payment_rows, to_csv
from tests.ledger.conftest import follow_up_refused
from tests.staffpage.conftest import running_page


async def test_kioskctl_says_why_a_payment_exists_and_how_it_ended(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    async with running_page(tmp_path) as staff_page:
        d = staff_page.daemon
        first, follow_up = await follow_up_refused(d.ledger)
        d.cases = Cases(ledger=d.ledger, client=None, sender=None, alerts=d.alerts, printer=None, config=d.config)
        session = await staff_page.logged_in("3001")
        async with session.get(staff_page.url + "api/txns/2") as resp:
            shown = await resp.json()
        async with session.post(staff_page.url + "api/cases", json={"ref": follow_up}) as resp:
            case = await resp.json()
    assert shown["txn"]["opened_reason"] == f"note in flight credited after txn {first} ended"
    assert shown["txn"]["reason"] == "rejected: account_closed"
    _show_txn(shown, "zh-CN")
    text = capsys.readouterr().out
    assert f"  opened: 上一笔缴费（{first}）结束后才入箱的纸币，单独记为本笔缴费\n" in text
    assert "  reason: 后台拒收：户号已销户\n" in text
    _show_txn(shown, "en")
    text = capsys.readouterr().out
    assert f"  opened: a note that reached the box after payment {first} had ended, booked as this payment\n" in text
    assert "  reason: refused by the backend: account closed\n" in text
    _show_case(case, "en")
    text = capsys.readouterr().out
    assert "(refused by the backend: account closed)" in text
    assert f"why this payment exists: a note that reached the box after payment {first} had ended" in text
    _show_case(case, "zh-CN")
    assert f"本笔来由: 上一笔缴费（{first}）结束后才入箱的纸币" in capsys.readouterr().out


async def test_the_reconciliation_file_keeps_both_reasons(tmp_path: Path) -> None:
    async with running_page(tmp_path) as staff_page:
        ledger = staff_page.daemon.ledger
        first, follow_up = await follow_up_refused(ledger)
        records = [await ledger.transaction(first), await ledger.transaction(follow_up)]
    rows = payment_rows(records, kiosk="K-TEST-01", currency="CNY", tz="Asia/Shanghai")  # type: ignore[arg-type]
    lines = to_csv(PAYMENT_COLUMNS, rows).splitlines()
    assert lines[0].endswith(",ref,reason,opened_reason")
    assert lines[1].endswith(",closed,,,")  # the customer's own payment: no reason either way
    assert lines[2].endswith(f",flagged,,rejected: account_closed,note in flight credited after txn {first} ended")
