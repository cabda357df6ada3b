"""Receipts as the printer receives them: exact ESC/POS bytes written out command by command."""

from __future__ import annotations

import dataclasses

import pytest

from backend_api.receipt_proof import make_proof
from kioskd.customer.receipts.layout import format_money, receipt_data, render_receipt
from statemachine.ports import PaymentResult
from tests.receipts.sample import CREDITED, KEY, PENDING

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"
INIT = ESC + b"@"
CODE_PAGE_437 = ESC + b"t\x00"
CENTER, LEFT = ESC + b"a\x01", ESC + b"a\x00"
BOLD, NOT_BOLD = ESC + b"E\x01", ESC + b"E\x00"
DOUBLE_SIZE, NORMAL_SIZE = GS + b"!\x11", GS + b"!\x00"
RULE = b"-" * 32 + LF
CUT = ESC + b"d\x06" + GS + b"V\x00"  # feed 6 lines, full cut


def chinese(text: str) -> bytes:
    """A line in GB18030 double-byte mode: FS & ... FS . then LF."""
    return FS + b"&" + text.encode("gb18030") + FS + b"." + LF


def qr(payload: str) -> bytes:
    """Native QR: model 2, 4-dot modules, error correction M, store, print (GS ( k)."""
    data = payload.encode("ascii")
    store_len = len(data) + 3
    return (
        GS + b"(k\x04\x00\x31\x41\x32\x00"
        + GS + b"(k\x03\x00\x31\x43\x04"
        + GS + b"(k\x03\x00\x31\x45\x31"
        + GS + b"(k" + bytes([store_len & 0xFF, store_len >> 8]) + b"\x31\x50\x30" + data
        + GS + b"(k\x03\x00\x31\x51\x30"
    )


def test_gb18030_bytes_are_the_expected_code_points() -> None:
    # Spot check without the codec: 合计 (total) and 元 (yuan) in GB2312/GB18030.
    assert chinese("合计: 150.00 元") == b"\x1c&\xba\xcf\xbc\xc6: 150.00 \xd4\xaa\x1c.\n"


def test_zh_credited_receipt_bytes() -> None:
    proof = make_proof(KEY, kiosk="K-0042", txn=CREDITED.txn, seq=17, amount=15000, at=CREDITED.time)
    expected = (
        INIT + CODE_PAGE_437
        + DOUBLE_SIZE + BOLD + CENTER + chinese("国网东城营业厅")
        + NORMAL_SIZE + chinese("缴费凭条")
        + NOT_BOLD + LEFT
        + RULE
        + chinese("终端号: K-0042")
        + chinese("流水号: 17")
        + chinese("交易号:")
        + b"5f0c2a9e-8b1d-4c3e-9a7f-2d6b8e1f4a30\n"
        + chinese("时间: 2024-05-01 18:30:05 +08:00")
        + chinese("户号: 110234567890")
        + chinese("户名: 张*明")
        + RULE
        + chinese("纸币 1: 100.00 元")
        + chinese("纸币 2: 50.00 元")
        + chinese("合计: 150.00 元")
        + RULE
        + chinese("入账成功")
        + chinese("缴费后余额: 320.50 元")
        + chinese("参考号: B20240501-0001")
        + RULE
        + CENTER + chinese("请妥善保管此凭条")
        + qr(proof)
        + CUT
    )
    assert render_receipt(CREDITED, locale="zh-CN", encoding="gb18030", key=KEY) == expected


def test_en_pending_duplicate_receipt_bytes() -> None:
    proof = make_proof(KEY, kiosk="K-0042", txn=PENDING.txn, seq=18, amount=2000, at=PENDING.time)
    expected = (
        INIT + CODE_PAGE_437
        + DOUBLE_SIZE + BOLD + CENTER + b"Dongcheng Hall\n"
        + NORMAL_SIZE + b"PAYMENT RECEIPT\n"
        + chinese("补打 DUPLICATE 2")
        + NOT_BOLD + LEFT
        + RULE
        + b"Kiosk: K-0042\n"
        + b"Serial no.: 18\n"
        + b"Transaction:\n"
        + b"0b7e3f5a-1c2d-4e6f-8a9b-0c1d2e3f4a5b\n"
        + b"Time: 2025-01-01 00:59:59 +08:00\n"
        + b"Account: 110234567891\n"
        + chinese("Holder: 李*")  # the holder's name needs Chinese mode even on an en receipt
        + RULE
        + b"Note 1: 20.00 CNY\n"
        + b"Total: 20.00 CNY\n"
        + RULE
        + b"Crediting pending, reference 18\n"
        + RULE
        + CENTER + b"Please keep this receipt.\n"
        + qr(proof)
        + CUT
    )
    assert render_receipt(PENDING, locale="en", encoding="gb18030", key=KEY) == expected


def test_zh_pending_line_names_the_reference() -> None:
    data = dataclasses.replace(PENDING, hall="东城营业厅")
    out = render_receipt(data, locale="zh-CN", encoding="gb18030", key=KEY)
    assert chinese("入账处理中，参考号 18") in out
    assert chinese("补打 DUPLICATE 2") in out
    assert b"Crediting pending" not in out


def test_ascii_printer_gets_english_and_no_double_byte_mode() -> None:
    out = render_receipt(CREDITED, locale="zh-CN", encoding="ascii", key=KEY)
    assert FS + b"&" not in out
    assert max(out.split(b"\x1d(k")[0]) < 0x80  # every text byte before the QR is ASCII
    assert b"???????\n" in out  # the hall's seven Chinese characters cannot be printed
    assert b"Holder: ?*?\n" in out
    assert b"Total: 150.00 CNY\n" in out


def test_flagged_receipt_says_staff_will_review() -> None:
    data = dataclasses.replace(CREDITED, status="flagged", balance=None, ref=None)
    out = render_receipt(data, locale="en", encoding="gb18030", key=KEY)
    assert b"Held for staff review, reference 17\n" in out
    assert b"Balance after" not in out


def test_notes_must_add_up_to_the_total() -> None:
    with pytest.raises(ValueError, match="notes sum to 15000"):
        render_receipt(dataclasses.replace(CREDITED, total=15001), locale="en", encoding="ascii", key=KEY)


@pytest.mark.parametrize(
    ("fen", "locale", "shown"),
    [
        (0, "zh-CN", "0.00 元"),
        (5, "zh-CN", "0.05 元"),
        (10000, "zh-CN", "100.00 元"),
        (123456789, "en", "1234567.89 CNY"),
        (-250, "en", "-2.50 CNY"),
        (32050, "zh-CN", "320.50 元"),
    ],
)
def test_money_is_formatted_from_integer_fen(fen: int, locale: str, shown: str) -> None:
    assert format_money(fen, "CNY", locale) == shown


def test_receipt_from_a_payment_result_shows_its_money() -> None:
    result = PaymentResult(
        txn=CREDITED.txn, seq=17, account="110234567890", amount=15000, notes=(10000, 5000),
        status="credited", balance=32050, ref="B20240501-0001",
    )
    data = receipt_data(result, hall="国网东城营业厅", kiosk="K-0042", holder="张*明", at=CREDITED.time)
    assert data == CREDITED
    pending = dataclasses.replace(result, status="pending", balance=None, ref=None)
    assert receipt_data(pending, hall="h", kiosk="k", holder="x", at=CREDITED.time).status == "pending"


@pytest.mark.parametrize(("locale", "hall", "hotline"), [
    ("zh-CN", "国网东城营业厅", "服务热线: 95598"), ("en", "Dongcheng Hall", "Hotline: 95598")])
def test_the_hall_in_the_receipts_language_and_the_hotline_above_keep(locale: str, hall: str, hotline: str) -> None:
    from kioskd.customer.receipts.layout import receipt_lines

    data = dataclasses.replace(CREDITED, hall_en="Dongcheng Hall", hotline="95598")
    lines = receipt_lines(data, locale=locale)
    assert lines[0] == hall
    assert lines[-2:] == [hotline, "请妥善保管此凭条" if locale == "zh-CN" else "Please keep this receipt."]
    assert not any("95598" in line for line in receipt_lines(CREDITED, locale=locale))


@pytest.mark.parametrize(("balance", "locale", "line"), [
    (-5350, "zh-CN", "缴费后仍欠费: 53.50 元"), (-5350, "en", "Still owed: 53.50 CNY"),
    (0, "zh-CN", "缴费后余额: 0.00 元"), (1200, "en", "Balance after: 12.00 CNY")])
def test_a_balance_below_zero_is_printed_as_what_is_still_owed(balance: int, locale: str, line: str) -> None:
    from kioskd.customer.receipts.layout import receipt_lines

    lines = receipt_lines(dataclasses.replace(CREDITED, balance=balance), locale=locale)
    assert line in lines
    assert not any("-" in part and "." in part for part in lines if "余额" in part or "owed" in part.lower())
