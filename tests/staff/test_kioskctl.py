"""kioskctl against a running simulated kiosk: every command, and bad control requests."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.daemon import ROOT, RunningKiosk
from tests.staff.conftest import Staff, pay

ACCOUNT_A, ACCOUNT_B = "0012345678", "0023456789"


async def receipt_text(kiosk: RunningKiosk) -> str:
    return "\n".join((await kiosk.sim_state())["receipt"] or [])


async def test_staff_look_up_reprint_and_close_the_day(kiosk: RunningKiosk, staff: Staff) -> None:
    first = await pay(kiosk, ACCOUNT_A, [10000, 2000, 500])
    second = await pay(kiosk, ACCOUNT_B, [5000, 500])
    assert first["result"]["status"] == second["result"]["status"] == "credited"

    # status: state, devices, box counters, outbox, last backend contact
    status = await staff.json("status")
    assert status["state"] == "service_idle"
    assert status["devices"] == {"validator": "online", "printer": "online", "door": "closed"}
    assert status["box"] == {"by_note": {"500": 2, "2000": 1, "5000": 1, "10000": 1}, "notes": 5, "total": 18000}
    assert status["last_backend_contact"] is not None
    code, text = await staff.run("status", "--lang", "en")
    assert code == 0 and "cash box: 5 notes / 180.00 CNY" in text and "validator online" in text
    code, text = await staff.run("status")
    assert "钱箱: 5 张 / 180.00 元" in text and "设备: 识币器 正常, 打印机 正常, 机门 关闭" in text
    # the last contact in the kiosk's local time (stored UTC), as every time staff read
    contact = datetime.fromisoformat(status["last_backend_contact"].replace("Z", "+00:00"))
    local = contact.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    assert f"最近联系后台: {local}" in text, text

    # txn list by account, by amount (yuan), by local date
    listed = (await staff.json("txn", "list", "--account", ACCOUNT_A))["txns"]
    assert [(t["seq"], t["amount"], t["state"]) for t in listed] == [(1, 12500, "credited")]
    listed = (await staff.json("txn", "list", "--amount", "55"))["txns"]
    assert [t["account"] for t in listed] == [ACCOUNT_B]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    listed = (await staff.json("txn", "list", "--since", today, "--until", today))["txns"]
    assert [t["seq"] for t in listed] == [1, 2]
    assert (await staff.json("txn", "list", "--since", "2001-01-01", "--until", "2001-01-02"))["txns"] == []
    code, text = await staff.run("txn", "list")
    assert code == 0 and ACCOUNT_A in text and "125.00 元" in text and "55.00 元" in text

    # txn show: notes with times, the backend's answer, what was sent
    shown = (await staff.json("txn", "show", "1"))["txn"]
    assert [n["value"] for n in shown["notes"]] == [10000, 2000, 500]
    assert shown["ref"] == first["result"]["ref"] and shown["balance"] == first["result"]["balance"]
    assert shown["sent"]["amount"] == 12500 and shown["sent"]["account"] == ACCOUNT_A
    by_id = (await staff.json("txn", "show", shown["id"]))["txn"]
    assert by_id["seq"] == 1
    code, text = await staff.run("txn", "show", "2")
    assert code == 0 and "50.00 元" in text and ACCOUNT_B in text
    # times are stored in UTC and shown in the kiosk's local time (Asia/Shanghai), to the second
    code, text = await staff.run("txn", "show", "1")
    text = text.split("    sent:")[0]  # what was sent is the wire payload, as signed (UTC)
    for stored in [n["at"] for n in shown["notes"]] + [shown["started"], shown["ended"]]:
        moment = datetime.fromisoformat(stored.replace("Z", "+00:00"))
        assert moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S") in text, stored
        assert stored not in text and moment.strftime("%H:%M:%S") not in text
    # a patrol check-in (all fine: no note needed) says when in the kiosk's local time, as the patrol log lists it
    code, text = await staff.run("patrol", "check", "--lang", "en")
    [patrol] = (await staff.json("patrol", "list", "--since", "2001-01-01"))["patrols"]
    local_at = datetime.fromisoformat(patrol["at"].replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Shanghai"))
    assert (code, text) == (0, f"patrol #{patrol['id']} {local_at:%Y-%m-%d %H:%M}\n")
    long_note = "屏幕右下角有划痕，" * 40  # 360 characters: a patrol note may have up to 500
    assert await staff.run("patrol", "note", str(patrol["id"]), "--note", long_note) == (
        0, f"巡检 #{patrol['id']}: {long_note}\n")
    code, text = await staff.run("patrol", "note", str(patrol["id"]), "--note", "x" * 501)
    assert (code, text) == (1, "kioskctl: 请填写备注（500 字以内）\n")
    code, text = await staff.run("txn", "show", "99")
    assert code == 1 and "no transaction 99" in text

    # receipt reprint: a copy marked DUPLICATE n on the kiosk's printer, counted up
    code, text = await staff.run("receipt", "reprint", "1", "--by", "guide-7")
    assert code == 0 and "补打次数 1" in text
    printed = await receipt_text(kiosk)
    assert "补打 DUPLICATE 1" in printed and ACCOUNT_A in printed and "125.00" in printed
    again = await staff.json("receipt", "reprint", shown["id"])
    assert again["duplicate"] == 2 and again["audit"] > 0
    assert "补打 DUPLICATE 2" in await receipt_text(kiosk)

    # daily report: the figures of the two payments
    report = (await staff.json("report", "daily"))["report"]
    assert report["count"] == 2 and report["total"] == 18000 and report["average"] == 9000
    assert report["by_note"] == {"500": {"count": 2, "total": 1000}, "2000": {"count": 1, "total": 2000},
                                 "5000": {"count": 1, "total": 5000}, "10000": {"count": 1, "total": 10000}}
    assert report["by_status"] == {"credited": {"count": 2, "total": 18000}}
    assert sum(h["count"] for h in report["by_hour"].values()) == 2
    assert report["pending"] == [] and report["flagged"] == []
    assert report["box_today"] == {"notes": 5, "total": 18000}
    code, text = await staff.run("report", "daily", "--print")
    assert code == 0 and "缴费笔数: 2" in text and "合计: 180.00 元" in text
    assert "日结报表" in await receipt_text(kiosk) and "合计: 180.00 元" in await receipt_text(kiosk)
    code, text = await staff.run("report", "daily", "2001-01-01", "--lang", "en")
    assert code == 0 and "Payments: 0" in text
    closed = (await staff.json("report", "close"))["report"]
    assert closed["total"] == 18000 and closed["audit"]["seq"] > again["audit"]


async def test_sim_commands_and_bad_requests(kiosk: RunningKiosk, staff: Staff) -> None:
    # a note inserted with kioskctl during a payment is counted on the customer's screen
    await kiosk.press(*ACCOUNT_A, "confirm")
    await kiosk.until(lambda s: s["state"] == "payment_confirm", "the confirmation screen")
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash screen")
    code, _ = await staff.run("sim", "insert", "20")
    assert code == 0
    await kiosk.until(lambda s: s["notes"] == [2000], "the note from kioskctl counted")
    faults = (await staff.json("sim", "fault", "paper_low", "on"))["faults"]
    assert faults["paper_low"] is True
    code, text = await staff.run("sim", "fault", "no_such_fault", "on")
    assert code == 1 and "unknown fault" in text

    # unknown, malformed and oversized requests: an error reply each, the daemon keeps serving
    assert (await staff.request({"cmd": "rm -rf"}))["error"].startswith("unknown cmd 'rm -rf'")
    assert "unknown argument" in (await staff.request({"cmd": "status", "extra": 1}))["error"]
    assert (await staff.request({"cmd": "txn_show", "ref": "'; drop table"}))["ok"] is False
    assert "amount" in (await staff.request({"cmd": "txn_list", "amount": "12"}))["error"]
    assert "since" in (await staff.request({"cmd": "txn_list", "since": "yesterday"}))["error"]
    assert "date" in (await staff.request({"cmd": "report_daily", "date": "2024-02-30"}))["error"]
    assert "no note of 0 fen" in (await staff.request({"cmd": "sim_insert", "value": 0}))["error"]
    reader, writer = await asyncio.open_unix_connection(staff.socket)
    writer.write(b"{not json\n" + b'{"cmd": "' + b"a" * 70000 + b'"}\n')
    await writer.drain()
    replies = [json.loads(await reader.readline()) for _ in range(2)]
    writer.close()
    assert replies[0]["error"] == "request is not JSON (UTF-8)"
    assert "larger than" in replies[1]["error"]
    status = await staff.json("status")
    assert status["state"].startswith("payment_cash")

    # the installed entry point, as a separate process, with --json for scripts
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kioskd.cli.main", "status", "--json", "--socket", staff.socket,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    assert proc.returncode == 0 and json.loads(out)["kiosk"] == "K-SIM-01"


def test_the_state_is_said_in_words_in_both_languages() -> None:
    from kioskd.cli.staff import state_words

    assert state_words("service_idle", "zh-CN") == "空闲，等待顾客"
    assert state_words("payment_cash_waiting", "zh-CN") == "顾客缴费中"  # a state inside payment
    assert state_words("maintenance_login", "en") == "maintenance (cash box)"
    assert state_words("unavailable", "en") == "out of service"
    assert state_words("paymentx", "en") == "paymentx"  # not inside payment: its code, never a wrong word


@pytest.mark.parametrize(("reason", "zh", "en"), [
    ("rejected: account_closed", "后台拒收：户号已销户", "refused by the backend: account closed"),
    ("bad_request: records[3].kind: one of [...] required", "含后台不认识或认为有误的记录，可能需要升级后台",
     "a record the backend does not know or finds malformed, the backend may need an upgrade"),
    ("fork: rollback: batch 3 is behind the last accepted 7", "比后台已收到的数据更早，终端可能被恢复到旧备份",
     "it is older than what the backend holds, the kiosk may run from an old backup"),
    ("fork: another batch 3 was accepted", "与后台已收到的数据衔接不上（数据链分叉）",
     "it does not continue what the backend holds (a fork)"),
    # a reason with no words: a generic phrase, the code beside it for the call to the operator
    ("teapot: short and stout", "未列明的后台原因（代码：teapot: short and stout）",
     "a backend reason not listed (code: teapot: short and stout)"),
])
def test_a_backend_refusal_is_said_in_words_never_its_code_alone(reason: str, zh: str, en: str) -> None:
    from kioskd.cli.staff import reason_words
    from kioskd.hall.words import reason_fields

    fields = {"reason": reason, **reason_fields(reason)}
    assert (reason_words(fields, "zh-CN"), reason_words(fields, "en")) == (zh, en)
