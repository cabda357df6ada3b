"""What a case leaves on paper and in files: the voucher (zh-CN, en), the device log, the evidence, the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drivers import base as ev
from kioskd.hall.cases.claims import check_claims
from kioskd.hall.cases.devicelog import DeviceLog
from kioskd.hall.cases.evidence import evidence_text, gather
from kioskd.hall.cases.voucher import Voucher, voucher_lines
from kioskd.hall.reports import report_lines
from tests.cases.conftest import HALL, MANAGER, pay
from tests.cases.test_claims_and_sweeps import ago, count_of_box
from tests.uplink.support import BLOCKED

VOUCHER = Voucher(hall="示例营业厅", kiosk="K-0001", case_no=7, outcome="o", seq=42, txn="3f2b-txn",
                  account="0099999999", amount=15000, currency="CNY", reason="账户已销户，客户要求退回现金",
                  paid_by="2001 王芳", approved_by="3001 李经理", at="2026-12-03T06:30:00.000Z")


def test_the_voucher_names_both_people_and_has_three_signature_lines() -> None:
    zh = voucher_lines(VOUCHER, locale="zh-CN", tz="Asia/Shanghai")
    assert zh[:2] == ["示例营业厅", "退款凭证"]
    for line in ("差错单号: 7", "原缴费流水号: 42", "户号: 0099999999", "退款金额: 150.00 元", "经办人: 2001 王芳",
                 "审批人: 3001 李经理", "时间: 2026-12-03 14:30:00 +08:00", "客户签字:", "经办人签字:", "审批人签字:"):
        assert line in zh
    en = voucher_lines(VOUCHER, locale="en", tz="Asia/Shanghai")
    for line in ("REFUND VOUCHER", "Refund: 150.00 CNY", "Paid by: 2001 王芳", "Approved by: 3001 李经理",
                 "Customer signature:"):
        assert line in en
    assert sum(line.startswith("____") for line in en) == 3
    claim = voucher_lines(Voucher(**{**VOUCHER.__dict__, "seq": None, "txn": None, "copy": True}), locale="en",
                          tz="UTC")
    assert "COPY" in claim and "Claim: note not counted (found at the cash-box count)" in claim


def test_the_device_log_keeps_events_not_keys_and_rotates(tmp_path: Path) -> None:
    log = DeviceLog(tmp_path, max_bytes=400, keep=2)
    log.record(ev.KeyPressed("keypad", "7"), at="2026-01-01T00:00:00.000Z")  # PINs are typed on keys
    for i in range(20):
        log.record(ev.NoteReturned("validator", 10000), at=f"2026-01-01T00:00:{i:02d}.000Z")
    log.record(ev.NoteRejected("validator", "not valid", 3), at="2026-01-01T00:01:00.000Z")
    found = log.between("2026-01-01T00:00:15.000Z", "2026-01-01T00:02:00.000Z")
    assert [e["event"] for e in found] == ["NoteReturned"] * 5 + ["NoteRejected"]
    assert found[-1] == {"at": "2026-01-01T00:01:00.000Z", "event": "NoteRejected", "device": "validator",
                         "reason": "not valid", "code": 3, "inhibited": False}
    assert not any(e["event"] == "KeyPressed" for e in log.between("", "9"))
    assert len(list(tmp_path.glob("devices.jsonl*"))) == 3  # the file and two older ones, no more


async def test_evidence_holds_the_payment_its_notes_receipt_answers_and_no_phone(kiosk: dict[str, Any],
                                                                               tmp_path: Path) -> None:
    k, cases = kiosk, kiosk["cases"]
    result = await pay(k, BLOCKED, 10000, 5000)
    await k["ledger"].audit_append("reprint", {"txn": result.txn, "seq": result.seq, "duplicate": 1})
    log = DeviceLog(tmp_path)
    log.record(ev.NoteReturned("validator", 2000))
    await cases.open_payment(result.seq, HALL, phone="13912345678", note="说投了三张")
    await cases.refund(1, 15000, "cash back", HALL, MANAGER)
    e = await gather(cases, 1, log)
    assert e["case"]["phone"] is None and e["case"]["contact"] == "kept"
    assert [n["value"] for n in e["payment"]["notes"]] == [10000, 5000]
    assert [d["event"] for d in e["devices"]] == ["NoteReturned"]
    assert "待工作人员核查，参考号 1" in e["receipts"]["lines"] and len(e["receipts"]["reprints"]) == 1
    assert e["receipts"]["sent"]["amount"] == 15000
    assert [s["step"] for s in e["steps"]] == ["opened", "note", "refund"]
    assert e["outcomes"][0]["kind"] == "refund"
    text = evidence_text(e, "zh-CN")
    assert "差错单证据" in text and "150.00 元" in text and "13912345678" not in text
    assert "Case evidence" in evidence_text(e, "en")


async def test_the_daily_report_shows_the_cases_and_the_balance(kiosk: dict[str, Any]) -> None:
    from datetime import date

    from kioskd.hall.reports import daily_report
    from kioskd.system.clock import wall_now

    k, cases = kiosk, kiosk["cases"]
    result = await pay(k, BLOCKED, 5000)
    await cases.open_payment(result.seq, HALL)
    await cases.writeoff(1, "never came back", MANAGER)
    today: date = wall_now().date()  # UTC, the report's time zone here
    report = await daily_report(k["ledger"], today, tz="UTC", kiosk="K-0001", currency="CNY")
    assert report["cases"]["balance"]["balanced"] and report["cases"]["writeoffs"] == {"count": 1, "total": 5000}
    zh, en = report_lines(report, "zh-CN"), report_lines(report, "en")
    assert "  核销: 1 / 50.00 元" in zh and "  平衡" in zh
    assert "  balances" in en and any(line.startswith("Cases: opened 1") for line in en)


async def test_a_claims_evidence_reads_in_the_staff_language_and_holds_its_count(kiosk: dict[str, Any]) -> None:
    k, cases = kiosk, kiosk["cases"]
    claim = await cases.open_claim(10000, HALL, when=ago(60), account="0012345678", note="第二张 100 元未计入")
    await count_of_box(k["ledger"], "session-7f3a", ago(24 * 60), [(10000, 3, 4), (5000, 2, 2)])
    await check_claims(k["ledger"])
    await cases.refund(claim.no, 10000, "清点长款即该纸币", HALL, MANAGER)
    e = await gather(cases, claim.no, None)
    # the count that bore the claim out is part of its evidence, though it came hours later
    assert e["count"]["session"] == "session-7f3a" and e["count"]["box_id"] == "BOX-session-7f3a"
    assert [(r["value"], r["verdict"]) for r in e["count"]["rows"]] == [(10000, "over"), (5000, "match")]
    assert {"custody_open", "custody_count"} <= {a["kind"] for a in e["audit"]}
    zh = evidence_text(e, "zh-CN", "Asia/Shanghai").split("== 审计记录")[0]  # the chain's entries stay as recorded
    for words in ("客户申诉：纸币未计入", "已办结", "金额 100.00 元", "户号 0012345678", "开单", "经办 2001",
                  "钱箱清点 session-7f3a（钱箱 BOX-session-7f3a）：找到该纸币", "100.00 元: 应有 3 实点 4 长款",
                  "退款", "经办人 2001 王芳 / 审批人 3001 李经理", "第二张 100 元未计入"):
        assert words in zh, (words, zh)
    for english in ("amount", "opened", "contact", "claimed at", "found", "resolved", "refund", "claim", "ref "):
        assert english not in zh, (english, zh)
    en = evidence_text(e, "en", "UTC")
    for words in ("claim: note not counted", "resolved", "amount 100.00 CNY", "cash-box count session-7f3a "
                  "(box BOX-session-7f3a): found the note", "100.00 CNY: expected 3 counted 4 over",
                  "paid by 2001 王芳 / approved by 3001 李经理"):
        assert words in en, (words, en)
