"""Receipt layout (zh-CN / en) rendered to ESC/POS (drivers.printer.commands), and printing it.

Rendering is a pure function of the receipt data: the same payment always gives the
same bytes, so a reprint is the original with its duplicate number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.receipt_proof import make_proof, receipt_link
from drivers.base import ReceiptPrinter
from drivers.errors import DeviceError
from drivers.printer.commands import EscposJob
from kioskd.customer.receipts.money import format_money
from statemachine.ports import PaymentResult, StuckNote

log = logging.getLogger(__name__)

LOCALES = ("zh-CN", "en")
ENCODINGS = ("gb18030", "ascii")
RULE = "-" * 32  # fits a 58 mm (32 columns) and an 80 mm (48 columns) roll
QR_DOT_SIZE = 4  # dots per QR module: about 0.5 mm at 203 dpi, readable by phone cameras

ReceiptStatus = Literal["credited", "pending", "flagged"]


@dataclass(frozen=True)
class ReceiptData:
    """Everything a receipt shows; money in fen, `time` an aware UTC datetime."""

    hall: str
    kiosk: str
    seq: int
    txn: str
    time: datetime
    account: str
    holder: str  # already masked by the backend, e.g. "张*明"
    notes: tuple[int, ...]
    total: int
    status: ReceiptStatus
    balance: int | None = None  # balance after crediting (credited only)
    ref: str | None = None  # backend reference (credited only)
    duplicate: int = 0  # 0 = the original; n > 0 = the n-th reprint
    currency: str = "CNY"
    hall_en: str = ""  # the hall's name on an English receipt ("" = hall)
    hotline: str = ""  # the service hotline ("" = no line)
    link: str = ""  # [backend] receipt_url: the QR code opens the receipt there ("" = the proof alone)
    stuck: StuckNote | None = None  # a stuck note not in this payment (the original only: a reprint omits it)


_TEXT: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "缴费凭条",
        "kiosk": "终端号: {0}",
        "seq": "流水号: {0}",
        "txn": "交易号:",
        "time": "时间: {0}",
        "account": "户号: {0}",
        "holder": "户名: {0}",
        "note": "纸币 {0}: {1}",
        "total": "合计: {0}",
        "credited": "入账成功",
        "balance": "缴费后余额: {0}",
        "owed": "缴费后仍欠费: {0}",
        "ref": "参考号: {0}",
        "pending": "入账处理中，参考号 {0}",
        "flagged": "待工作人员核查，参考号 {0}",
        "keep": "请妥善保管此凭条",
        "hotline": "服务热线: {0}",
        "stuck": "卡住的纸币: {0}",
        "stuck_unknown": "卡住的纸币: 面额未知",
        "stuck_left": "未计入本笔，由工作人员处理",
        "stuck_back": "已退回，未计入本笔",
    },
    "en": {
        "title": "PAYMENT RECEIPT",
        "kiosk": "Kiosk: {0}",
        "seq": "Serial no.: {0}",
        "txn": "Transaction:",
        "time": "Time: {0}",
        "account": "Account: {0}",
        "holder": "Holder: {0}",
        "note": "Note {0}: {1}",
        "total": "Total: {0}",
        "credited": "Credited",
        "balance": "Balance after: {0}",
        "owed": "Still owed: {0}",
        "ref": "Reference: {0}",
        "pending": "Crediting pending, reference {0}",
        "flagged": "Held for staff review, reference {0}",
        "keep": "Please keep this receipt.",
        "hotline": "Hotline: {0}",
        "stuck": "Stuck note: {0}",
        "stuck_unknown": "Stuck note: value unknown",
        "stuck_left": "Not in this payment: ask staff",
        "stuck_back": "Handed back; not in this payment",
    },
}


def receipt_lines(data: ReceiptData, *, locale: str, tz: str = "Asia/Shanghai") -> list[str]:
    """The receipt's text lines in order (the header lines first), before any encoding."""
    text = _TEXT[locale]
    local = data.time.astimezone(ZoneInfo(tz))
    when = f"{local:%Y-%m-%d %H:%M:%S} {local.isoformat()[-6:]}"  # e.g. "... 18:30:05 +08:00"
    hall = data.hall_en if locale == "en" and data.hall_en else data.hall
    lines = [hall, text["title"]]
    if data.duplicate:
        lines.append(f"补打 DUPLICATE {data.duplicate}")
    lines += [
        RULE,
        text["kiosk"].format(data.kiosk),
        text["seq"].format(data.seq),
        text["txn"],
        data.txn,
        text["time"].format(when),
        text["account"].format(data.account),
        text["holder"].format(data.holder),
        RULE,
    ]
    for number, value in enumerate(data.notes, start=1):
        lines.append(text["note"].format(number, format_money(value, data.currency, locale)))
    lines += [text["total"].format(format_money(data.total, data.currency, locale))]
    if data.stuck is not None:  # every note the customer put in is accounted for on paper
        value = data.stuck.value
        lines += [text["stuck"].format(format_money(value, data.currency, locale)) if value else text["stuck_unknown"],
                  text["stuck_back" if data.stuck.handed_back else "stuck_left"]]
    lines.append(RULE)
    if data.status == "credited":
        lines.append(text["credited"])
        if data.balance is not None:  # below zero: what the account still owes, without a minus sign
            label = "owed" if data.balance < 0 else "balance"
            lines.append(text[label].format(format_money(abs(data.balance), data.currency, locale)))
        if data.ref:
            lines.append(text["ref"].format(data.ref))
    else:
        # No backend reference yet: the serial number is what staff look the payment up by.
        lines.append(text[data.status].format(data.seq))
    lines.append(RULE)
    if data.hotline:
        lines.append(text["hotline"].format(data.hotline))
    lines.append(text["keep"])
    return lines


def render_receipt(
    data: ReceiptData,
    *,
    locale: str,
    encoding: str,
    key: Ed25519PrivateKey,
    tz: str = "Asia/Shanghai",
) -> bytes:
    """Render a receipt to ESC/POS bytes with a signed QR proof (python-escpos Dummy is the test oracle).

    With encoding "ascii" the printer has no Chinese font: the receipt is printed in
    English and characters outside ASCII become "?".
    """
    if locale not in LOCALES:
        raise ValueError(f"locale must be one of {LOCALES}, got {locale!r}")
    if encoding not in ENCODINGS:
        raise ValueError(f"printer.encoding must be one of {ENCODINGS}, got {encoding!r}")
    if sum(data.notes) != data.total:
        raise ValueError(f"receipt {data.txn}: notes sum to {sum(data.notes)} fen, total is {data.total}")
    if encoding == "ascii":
        locale = "en"
    lines = receipt_lines(data, locale=locale, tz=tz)
    if encoding == "ascii" and data.duplicate:
        lines[2] = f"DUPLICATE {data.duplicate}"
    proof = make_proof(key, kiosk=data.kiosk, txn=data.txn, seq=data.seq, amount=data.total, at=data.time)

    printer = EscposJob()
    printer.init()
    printer.code_page()  # CP437, the default, said explicitly; ASCII is the same bytes in it
    printer.char_size(2, 2)
    printer.bold(True)
    printer.align("center")
    _write_line(printer, lines[0], encoding)
    printer.char_size(1, 1)
    _write_line(printer, lines[1], encoding)
    body_start = 2
    if data.duplicate:
        _write_line(printer, lines[2], encoding)
        body_start = 3
    printer.bold(False)
    printer.align("left")
    for line in lines[body_start:-1]:
        _write_line(printer, line, encoding)
    printer.align("center")
    _write_line(printer, lines[-1], encoding)
    printer.qr(receipt_link(data.link, proof), ec="M", dot_size=QR_DOT_SIZE)
    printer.cut()
    return printer.output


def _write_line(printer: EscposJob, line: str, encoding: str) -> None:
    if line.isascii():
        printer.text(line + "\n")
    elif encoding == "gb18030":
        # GB18030 bytes need the printer in Chinese mode, and only for this line.
        printer.chinese(line, "gb18030")
        printer.text("\n")
    else:
        printer.text(line.encode("ascii", "replace").decode("ascii") + "\n")


async def send_when_ready(printer: ReceiptPrinter, payload: bytes, job: str) -> bool:
    """Send a rendered job only to a printer that says it is ready; False when not sent or failed."""
    status = await printer.status()
    # Only a printer that answered "online" gets the job: an unknown state is not "OK",
    # and the customer must not be told to take a receipt that never came out.
    if status.online is not True or status.paper == "out" or status.cover_open:
        log.warning(
            "%s: %s not printed: online=%s paper=%s cover_open=%s",
            printer.name, job, status.online, status.paper, status.cover_open,
        )
        return False
    try:
        await printer.print_bytes(payload, job=job)
    except DeviceError as err:
        log.warning("%s: %s failed: %s", printer.name, job, err)
        return False
    return True


def render_lines(lines: list[str], *, encoding: str, qr: str = "") -> bytes:
    """Plain text lines (reports, cash statements, invoice slips) as one ESC/POS job ending in a
    cut; with `qr`, a QR code of it after the lines."""
    out = EscposJob()
    out.init()
    out.code_page()
    for line in lines:
        _write_line(out, line, encoding)
    if qr:
        out.align("center")
        out.qr(qr, ec="M", dot_size=QR_DOT_SIZE)
    out.cut()
    return out.output


async def print_receipt(
    printer: ReceiptPrinter,
    data: ReceiptData,
    *,
    locale: str,
    encoding: str,
    key: Ed25519PrivateKey,
    tz: str = "Asia/Shanghai",
) -> bool:
    """Print one receipt; False (nothing sent) unless the printer says it is ready, or on error."""
    payload = render_receipt(data, locale=locale, encoding=encoding, key=key, tz=tz)
    return await send_when_ready(printer, payload, f"receipt {data.txn}")


def receipt_data(
    result: PaymentResult,
    *,
    hall: str,
    kiosk: str,
    holder: str,
    at: datetime,
    duplicate: int = 0,
    currency: str = "CNY",
) -> ReceiptData:
    """The receipt of a payment result (the machine's PaymentResult) plus what it does not carry."""
    return ReceiptData(
        hall=hall,
        kiosk=kiosk,
        seq=result.seq,
        txn=result.txn,
        time=at,
        account=result.account,
        holder=holder,
        notes=result.notes,
        total=result.amount,
        status=result.status,
        balance=result.balance if result.status == "credited" else None,
        ref=result.ref if result.status == "credited" else None,
        duplicate=duplicate,
        currency=currency,
    )
