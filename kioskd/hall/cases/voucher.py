"""The refund voucher (退款凭证): paid at the counter, signed by the customer and both staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from drivers.base import ReceiptPrinter
from kioskd.customer.receipts.layout import RULE, format_money, render_lines, send_when_ready


@dataclass(frozen=True)
class Voucher:
    """What a refund voucher shows; money in fen, `at` RFC 3339 UTC."""

    hall: str
    kiosk: str
    case_no: int
    outcome: str
    seq: int | None  # the payment's serial number; None for a claimed note
    txn: str | None
    account: str | None
    amount: int
    currency: str
    reason: str
    paid_by: str  # "2001 王芳"
    approved_by: str
    at: str
    copy: bool = False  # a reprint


_TEXT = {
    "zh-CN": {"title": "退款凭证", "copy": "补打 COPY", "kiosk": "终端号: {0}", "case": "差错单号: {0}",
              "seq": "原缴费流水号: {0}", "txn": "交易号:", "claim": "客户申诉: 纸币未计入 (已由钱箱清点核实)",
              "account": "户号: {0}", "amount": "退款金额: {0}", "reason": "原因: {0}", "time": "时间: {0}",
              "paid_by": "经办人: {0}", "approved_by": "审批人: {0}", "sign_customer": "客户签字:",
              "sign_paid": "经办人签字:", "sign_approved": "审批人签字:", "keep": "现金已当面点清，请妥善保管此凭证"},
    "en": {"title": "REFUND VOUCHER", "copy": "COPY", "kiosk": "Kiosk: {0}", "case": "Case no.: {0}",
           "seq": "Payment serial no.: {0}", "txn": "Transaction:",
           "claim": "Claim: note not counted (found at the cash-box count)", "account": "Account: {0}",
           "amount": "Refund: {0}", "reason": "Reason: {0}", "time": "Time: {0}", "paid_by": "Paid by: {0}",
           "approved_by": "Approved by: {0}", "sign_customer": "Customer signature:",
           "sign_paid": "Paid by (signature):", "sign_approved": "Approved by (signature):",
           "keep": "Cash counted in front of the customer. Please keep this voucher."},
}
SIGN_LINE = "_" * 24


def voucher_lines(v: Voucher, *, locale: str, tz: str) -> list[str]:
    """The voucher's text lines (the first two are its heading), in zh-CN or en."""
    t = _TEXT[locale]
    local = datetime.fromisoformat(v.at.replace("Z", "+00:00")).astimezone(ZoneInfo(tz))
    lines = [v.hall, t["title"]]
    if v.copy:
        lines.append(t["copy"])
    lines += [RULE, t["kiosk"].format(v.kiosk), t["case"].format(v.case_no)]
    if v.seq is not None:
        lines += [t["seq"].format(v.seq), t["txn"], v.txn or ""]
    else:
        lines.append(t["claim"])
    if v.account:
        lines.append(t["account"].format(v.account))
    lines += [t["amount"].format(format_money(v.amount, v.currency, locale)), t["reason"].format(v.reason),
              t["time"].format(f"{local:%Y-%m-%d %H:%M:%S} {local.isoformat()[-6:]}"), RULE,
              t["paid_by"].format(v.paid_by), t["approved_by"].format(v.approved_by), ""]
    for label in ("sign_customer", "sign_paid", "sign_approved"):
        lines += [t[label], "", SIGN_LINE, ""]
    lines += [RULE, t["keep"]]
    return lines


async def printer_ready(printer: ReceiptPrinter) -> bool:
    """Whether the printer says it can print now (online, paper, cover closed)."""
    status = await printer.status()
    return status.online is True and status.paper != "out" and not status.cover_open


async def print_voucher(printer: ReceiptPrinter, v: Voucher, *, locale: str, encoding: str, tz: str) -> bool:
    """Print the voucher; False when the printer was not ready or failed."""
    lines = voucher_lines(v, locale="en" if encoding == "ascii" else locale, tz=tz)
    return await send_when_ready(printer, render_lines(lines, encoding=encoding), f"refund voucher case {v.case_no}")
