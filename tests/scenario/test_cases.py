"""Cases at a whole simulated kiosk, through kioskctl as the hall's staff: a flagged payment
re-credited once, a wrong account voided and moved, a refund with two people and its voucher
(zh-CN, en), a claim a custody count bears out, flagged cash without a case raising its alert until a
case owns it; bad input changes nothing; after each, the daily report and the backend's copy of the
batches balance and agree.

One daemon for the module: each test opens its own cases and reads their numbers from replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from backend_api.fields import format_utc
from kioskd.cli import main as ctl
from refbackend.fleet.cases import case_books, day_balances
from refbackend.fleet.forecast import day_bounds_utc
from refbackend.store import SQLiteStore
from tests.daemon import ROOT, RunningKiosk, start_kiosk
from tests.staff.conftest import Staff, add_staff

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

# staff id -> (name, role, secret)
STAFF = {"2001": ("王芳", "hall", "hall-pass-2001"), "2002": ("陈静", "hall", "246813"),
         "3001": ("赵经理", "manager", "864209"), "7001": ("张伟", "technician", "246810"),
         "7002": ("李强", "technician", "135791")}
ZHANG, LI, WANG, BLOCKED = "0012345678", "0023456789", "0034567890", "0099999999"
HALL_ZONE = ZoneInfo("Asia/Shanghai")  # the simulated backend's [fleet] timezone, the halls' day
KIOSK = "K-SIM-01"  # config/simulate.toml
ALERT_AFTER, SWEEP_EVERY = 2.0, 10.0  # [cases] of the module's kiosk


class Hall:
    """The running kiosk and its staff at kioskctl."""

    def __init__(self, kiosk: RunningKiosk) -> None:
        self.kiosk, self.state = kiosk, kiosk.state_dir
        self.socket = str(kiosk.state_dir / "control.sock")

    async def ctl(self, staff: str, *argv: str, approver: str | None = None, as_json: bool = True) -> tuple[int, Any]:
        """`kioskctl ARGV --json --as STAFF --secret-stdin` (the approver's secret first, when asked)."""
        lines = ([STAFF[approver][2]] if approver else []) + [STAFF[staff][2]]
        flags = ["--json"] if as_json else []

        def run() -> tuple[int, str]:
            out, err, stdin = io.StringIO(), io.StringIO(), sys.stdin
            sys.stdin = io.StringIO("\n".join(lines) + "\n")  # the one test thread reading stdin
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    code = ctl.main([*argv, *flags, "--as", staff, "--secret-stdin", "--socket", self.socket])
            finally:
                sys.stdin = stdin
            return code, out.getvalue() + err.getvalue()

        code, text = await asyncio.to_thread(run)
        return code, json.loads(text) if as_json else text

    async def ok(self, staff: str, *argv: str, approver: str | None = None) -> dict[str, Any]:
        code, reply = await self.ctl(staff, *argv, approver=approver)
        assert code == 0 and reply["ok"], reply
        return reply

    async def refused(self, staff: str, *argv: str, approver: str | None = None) -> str:
        """The error of a refused command, after checking nothing changed."""
        before = money_records(self.state)
        code, reply = await self.ctl(staff, *argv, approver=approver)
        assert code == 1 and not reply["ok"], reply
        assert money_records(self.state) == before, argv
        return reply["error"]

    def backend(self) -> sqlite3.Connection:
        return sqlite3.connect(self.state / "backend.sqlite3")

    def balance(self, account: str) -> int:
        return self.backend().execute("SELECT balance FROM accounts WHERE account = ?", (account,)).fetchone()[0]

    async def balanced(self) -> None:
        """The daily report balances, and so does the backend's copy of the day once the batch is in."""
        report = (await self.ok("3001", "report", "close"))["report"]
        assert report["cases"]["balance"]["balanced"], report["cases"]
        head = report["audit"]["seq"]

        async def batched() -> bool:
            return self.backend().execute("SELECT COALESCE(MAX(audit_seq), 0) FROM batches").fetchone()[0] >= head
        await Staff(self.kiosk).until(batched, "the daily close's batch at the backend")
        store = SQLiteStore(self.state / "backend.sqlite3")
        try:
            day = datetime.now(HALL_ZONE).date()
            start, end = (format_utc(t) for t in day_bounds_utc(day, HALL_ZONE))
            balance = day_balances(store, start, end, case_books(store))[KIOSK]
        finally:
            store.close()
        assert balance["balanced"], balance
        # and both tell the same day: the backend's figures come from the case records the kiosk sent
        mine = report["cases"]["balance"]
        assert {k: mine[k] for k in balance} == balance, (mine, balance)
        return None


def money_records(state: Path) -> tuple:
    """What a refused command must leave as it was: the case tables, the audit chain, the backend's money."""
    journal = sqlite3.connect(state / "journal.sqlite3")
    backend = sqlite3.connect(state / "backend.sqlite3")
    try:
        return (journal.execute("SELECT COUNT(*) FROM cases").fetchone(),
                journal.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM case_steps").fetchone(),
                journal.execute("SELECT COUNT(*) FROM case_outcomes").fetchone(),
                journal.execute("SELECT COUNT(*) FROM audit WHERE kind LIKE 'case_%'").fetchone(),
                backend.execute("SELECT COUNT(*) FROM recredits").fetchone(),
                backend.execute("SELECT COUNT(*) FROM voids").fetchone(),
                backend.execute("SELECT account, balance FROM accounts ORDER BY account").fetchall())
    finally:
        journal.close()
        backend.close()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def hall(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hall]:
    tmp = tmp_path_factory.mktemp("cases")
    conf = tmp / "kiosk.toml"  # cash without a case is old after 2 s here, swept every 10 s (24 h, 10 min by default)
    conf.write_text((ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
                    + f"\n[cases]\nalert_after = {ALERT_AFTER}\nsweep_every = {SWEEP_EVERY}\n", encoding="utf-8")
    kiosk = await start_kiosk(tmp / "s", "--config", str(conf))
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await asyncio.to_thread(add_staff, tmp / "s", STAFF)
        yield Hall(kiosk)
    finally:
        assert await kiosk.stop() == 0
    # every case step, outcome and status checks out against the signed chain (integrity.TABLE_CHECKS)
    verify = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "kioskd.cli.main", "audit", "verify",
                                                      "--state", str(tmp / "s"), "--key", str(tmp / "s" / "kiosk.key")],
                                     cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr


async def pay(hall: Hall, account: str, notes: list[int], *, close_account: bool = False) -> dict[str, Any]:
    """A customer pays; with close_account the operator closes the account while the notes go in (422)."""
    kiosk = hall.kiosk
    await kiosk.to_cash(account)
    await kiosk.insert_counted(notes)
    if close_account:
        with hall.backend() as db:
            db.execute("UPDATE accounts SET status = 'closed' WHERE account = ?", (account,))
    await kiosk.press("finish")
    snap = await kiosk.until(lambda s: s["state"] in ("payment_done", "payment_help"), "the result")
    if close_account:
        with hall.backend() as db:
            db.execute("UPDATE accounts SET status = 'open' WHERE account = ?", (account,))
    await kiosk.press("cancel" if snap["state"] == "payment_help" else "confirm")
    await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
    return snap["result"]


async def test_a_flagged_payment_is_recredited_to_the_right_account_once(hall: Hall) -> None:
    result = await pay(hall, ZHANG, [10000, 5000], close_account=True)
    assert result["status"] == "flagged"
    opened = await hall.ok("2001", "case", "open", "--txn", str(result["seq"]), "--phone", "13912345678",
                           "--note", "客户称户号刚被注销，要求改入家人户号")
    no = opened["case"]["no"]
    assert opened["may"] == ["note", "recredit", "refund", "writeoff"]
    assert (await hall.ok("2001", "case", "lookup", LI))["holder"] == "李*华"
    li = hall.balance(LI)
    done = await hall.ok("2001", "case", "recredit", str(no), "--account", LI, "--holder", "李*华",
                         "--reason", "客户本人确认改入")
    assert done["case"]["status"] == "resolved" and done["outcomes"][0]["ref"].startswith("R-")
    assert hall.balance(LI) == li + 15000
    db = hall.backend()
    assert db.execute("SELECT COUNT(*), SUM(amount) FROM recredits WHERE credited = 1 AND cash = ?",
                      (result["txn"],)).fetchone() == (1, 15000)
    assert db.execute("SELECT credited FROM payments WHERE txn = ?", (result["txn"],)).fetchone() == (0,)
    # the payment_flagged alert of that payment is over: its cash has its outcome
    alerts = (await hall.ok("2001", "alerts"))["alerts"]
    assert not [a for a in alerts if a["code"] == "payment_flagged" and result["txn"] in a["device"]]
    await hall.balanced()


async def test_a_wrong_account_payment_is_voided_and_moved(hall: Hall) -> None:
    result = await pay(hall, WANG, [5000])
    assert result["status"] == "credited"
    no = (await hall.ok("2002", "case", "open", "--txn", str(result["seq"]), "--note", "输错户号"))["case"]["no"]
    wang, zhang = hall.balance(WANG), hall.balance(ZHANG)
    done = await hall.ok("2002", "case", "void", str(no), "--to", ZHANG, "--holder", "张*明",
                         "--reason", "客户输错户号，应为 0012345678")
    assert done["case"]["status"] == "resolved" and done["outcomes"][0]["ref"].startswith("V-")
    assert (hall.balance(WANG), hall.balance(ZHANG)) == (wang - 5000, zhang + 5000)
    await hall.balanced()


async def test_a_refund_needs_two_people_and_prints_the_voucher(hall: Hall) -> None:
    result = await pay(hall, LI, [2000], close_account=True)
    no = str((await hall.ok("2001", "case", "open", "--txn", str(result["seq"])))["case"]["no"])
    error = await hall.refused("2001", "case", "refund", no, "--amount", "20", "--reason", "退回现金",
                               "--approver", "2001", "--approver-secret-stdin", approver="2001")
    assert "second person" in error
    error = await hall.refused("2001", "case", "refund", no, "--amount", "20", "--reason", "退回现金",
                               "--approver", "2002", "--approver-secret-stdin", approver="2002")
    assert "may not approve refund" in error or "may not refund approve" in error  # a hall colleague is no manager
    done = await hall.ok("2001", "case", "refund", no, "--amount", "20", "--reason", "账户已注销，退回现金",
                         "--approver", "3001", "--approver-secret-stdin", approver="3001")
    assert done["voucher_printed"] and done["case"]["status"] == "resolved"
    zh = "\n".join(await hall.kiosk.until_printed("退款凭证"))
    for text in ("退款金额: 20.00 元", "经办人: 2001 王芳", "审批人: 3001 赵经理", "客户签字:", "审批人签字:"):
        assert text in zh
    await hall.ok("2001", "case", "voucher", no, "--voucher-lang", "en")
    en = "\n".join(await hall.kiosk.until_printed("REFUND VOUCHER"))
    assert "Paid by: 2001 王芳" in en and "Approved by: 3001 赵经理" in en and "COPY" in en
    await hall.balanced()


async def test_bad_input_is_refused_and_changes_nothing(hall: Hall) -> None:
    assert "no payment 999" in await hall.refused("2001", "case", "open", "--txn", "999")
    flagged = await pay(hall, ZHANG, [1000], close_account=True)
    no = str((await hall.ok("2001", "case", "open", "--txn", str(flagged["seq"])))["case"]["no"])
    assert "unknown at the backend" in await hall.refused(
        "2001", "case", "recredit", no, "--account", "0000000001", "--holder", "x", "--reason", "r")
    assert "cannot be paid" in await hall.refused(
        "2001", "case", "recredit", no, "--account", BLOCKED, "--holder", "赵*强", "--reason", "r")
    await hall.ok("3001", "case", "writeoff", no, "--reason", "客户未再联系")
    assert "resolved" in await hall.refused("2001", "case", "recredit", no, "--account", LI, "--holder", "李*华",
                                            "--reason", "a second outcome")
    again = str((await hall.ok("2001", "case", "open", "--txn", str(flagged["seq"])))["case"]["no"])
    assert "already has an outcome" in await hall.refused(
        "2001", "case", "refund", again, "--amount", "10", "--reason", "r", "--approver", "3001",
        "--approver-secret-stdin", approver="3001")
    assert "may not" in await hall.refused("2001", "case", "writeoff", again, "--reason", "a hall clerk")
    # staff read the refusal in their language: Chinese by default, English when asked
    code, said = await hall.ctl("2001", "case", "recredit", no, "--account", LI, "--holder", "李*华", "--reason", "r",
                                as_json=False)
    assert (code, said) == (1, f"kioskctl: 差错单 {no} 已办结，只能添加备注\n"), said
    code, said = await hall.ctl("2001", "case", "recredit", no, "--account", LI, "--holder", "李*华", "--reason", "r",
                                "--lang", "en", as_json=False)
    assert (code, said) == (1, f"kioskctl: case {no} is resolved: only notes may be added\n"), said
    await hall.balanced()


async def test_cash_left_without_a_case_raises_an_alert_until_a_case_owns_it(hall: Hall) -> None:
    result = await pay(hall, WANG, [1000], close_account=True)
    assert result["status"] == "flagged"

    async def unowned() -> list[dict[str, Any]]:
        return [a for a in (await hall.ok("2001", "alerts"))["alerts"]
                if a["code"] == "cash_without_case" and a["device"] == f"payment {result['txn']}"]
    # raised by the first sweep once the payment is ALERT_AFTER old: within SWEEP_EVERY + ALERT_AFTER < STEP
    raised = await Staff(hall.kiosk).until(unowned, "the cash_without_case alert")
    assert raised[0]["title_zh"] == "待处理款项无人跟进" and raised[0]["detail"]["amount"] == 1000
    async def at_backend() -> bool:
        return hall.backend().execute("SELECT COUNT(*) FROM alerts WHERE code = 'cash_without_case' AND state ="
                                      " 'raised' AND json_extract(detail, '$.txn') = ?", (result["txn"],)).fetchone()[0] == 1
    await Staff(hall.kiosk).until(at_backend, "the alert at the backend")
    # a case owns the cash now: the alert is over at once, and the sweeps do not raise it again
    no = str((await hall.ok("2001", "case", "open", "--txn", str(result["seq"])))["case"]["no"])
    assert await unowned() == []
    await hall.ok("3001", "case", "writeoff", no, "--reason", "客户未再联系")
    assert await unowned() == []
    await hall.balanced()


async def keys(kiosk: RunningKiosk, *entries: str) -> None:
    for entry in entries:
        await kiosk.press(*entry, "confirm")


async def test_a_claim_is_borne_out_by_the_count_and_recredited(hall: Hall) -> None:
    kiosk = hall.kiosk
    await pay(hall, ZHANG, [10000])
    opened = await hall.ok("2001", "case", "open", "--claim", "100", "--account", ZHANG,
                           "--note", "客户称投入的第二张 100 元未计入")
    no = str(opened["case"]["no"])
    assert "no cash-box count has found this note" in await hall.refused(
        "3001", "case", "writeoff", no, "--reason", "too early")
    counters = (await hall.ok("2001", "status"))["box"]["by_note"]
    # two technicians empty the box; it holds one 100-yuan note more than the kiosk counted
    await hall.ok("7001", "cashbox", "open")
    await kiosk.until(lambda s: s["state"] == "maintenance_login", "the technician login")
    await keys(kiosk, "7001", STAFF["7001"][2], "7002", STAFF["7002"][2])
    await kiosk.until(lambda s: s["state"] == "maintenance_open", "the box released")
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "maintenance_count", "the count")
    # counted per denomination (1, 5, 10, 20, 50, 100 yuan), then counterfeits; both technicians confirm
    counted = [str(counters.get(str(v), 0) + (1 if v == 10000 else 0)) for v in (100, 500, 1000, 2000, 5000, 10000)]
    await keys(kiosk, *counted, "0", STAFF["7001"][2], STAFF["7002"][2])
    snap = await kiosk.until(lambda s: s["custody"] and s["custody"]["step"] == "ended", "the reconciliation")
    assert {r["value"]: r["verdict"] for r in snap["custody"]["result"]}[10000] == "over"
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "service_idle", "back in service")
    async def checked() -> dict[str, Any] | None:
        case = (await hall.ok("2001", "case", "show", no))["case"]
        return case if case["found"] is not None else None
    case = await Staff(kiosk).until(checked, "the claim checked against the count")  # when the session ends
    assert case["found"] is True and case["count_session"]
    zhang = hall.balance(ZHANG)
    done = await hall.ok("2001", "case", "recredit", no, "--account", ZHANG, "--holder", "张*明",
                         "--reason", "清点长款 100 元，即客户所称未计入纸币")
    assert done["case"]["status"] == "resolved" and hall.balance(ZHANG) == zhang + 10000
    evidence = await hall.ok("2001", "case", "evidence", no, "--lang", "en")
    assert "Case evidence" in evidence["text"] and evidence["evidence"]["case"]["found"] is True
    # the evidence holds the technicians' count that found the note, and says so in the staff's words
    count = evidence["evidence"]["count"]
    assert count["session"] == case["count_session"] and {"value": 10000, "verdict": "over"}.items() <= \
        next(r for r in count["rows"] if r["value"] == 10000).items()
    zh = (await hall.ok("2001", "case", "evidence", no))["text"]
    assert "钱箱清点" in zh and "找到该纸币" in zh and "长款" in zh, zh
    await hall.balanced()


async def test_evidence_of_a_payment_case_to_a_file(hall: Hall, tmp_path: Path) -> None:
    flagged = await pay(hall, WANG, [2000], close_account=True)
    opened = await hall.ok("2001", "case", "open", "--txn", str(flagged["seq"]), "--phone", "13912345678")
    no = str(opened["case"]["no"])
    await hall.ok("3001", "case", "writeoff", no, "--reason", "客户放弃")
    out = tmp_path / "evidence.txt"
    code, said = await hall.ctl("2001", "case", "evidence", no, "--out", str(out), as_json=False)
    assert str(out) in said
    code, shown = await hall.ctl("2001", "case", "show", no, as_json=False)  # as staff read it, zh-CN
    assert code == 0 and f"差错单 {no}  状态: 已办结" in shown and "核销" in shown, shown
    assert "13912345678" in shown  # staff see the phone while it is kept; the evidence never has it
    code, listed = await hall.ctl("2001", "case", "list", "--lang", "en", as_json=False)
    assert code == 0 and "resolved" in listed, listed
    text = await asyncio.to_thread(out.read_text, encoding="utf-8")
    assert code == 0 and "差错单证据" in text and "13912345678" not in text and "== 缴费 #" in text
