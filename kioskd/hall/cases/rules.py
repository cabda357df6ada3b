"""What a case may do next, and why not, in zh-CN and en; and the checks of what staff type."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend_api.fields import format_utc
from kioskd.customer.receipts.money import format_money
from kioskd.ledger.cases import CaseRecord, OutcomeRecord

ACTIONS = ("note", "recredit", "void", "refund", "writeoff", "close", "reject")
MONEY = ("recredit", "void", "refund", "writeoff")
MAX_TEXT = 500
_PHONE = re.compile(r"\+?[0-9][0-9 -]{4,19}")
_ACCOUNT = re.compile(r"[0-9]{4,32}")
CLAIM_MAX_AGE = timedelta(days=90)


class CaseError(Exception):
    """A case action refused, nothing changed; str() is English, `zh` the same in Chinese."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


def _no(en: str, zh: str) -> tuple[str, str]:
    return en, zh


def refusals(case: CaseRecord, txn_state: str | None, live: OutcomeRecord | None,
             seq: int | None = None) -> dict[str, tuple[str, str] | None]:
    """Every action -> None when the case may do it now, else why not (en, zh)."""
    said = {a: None for a in ACTIONS}
    money = f"{format_money(case.amount, 'CNY', 'en')}"
    payment = f"payment #{seq}" if seq is not None else "the payment"
    if not case.is_open or case.status == "waiting":
        why = (_no(f"case {case.no} waits for the backend's answer to its request",
                   f"差错单 {case.no} 正在等待后台答复") if case.status == "waiting" else
               _no(f"case {case.no} is {case.status}: only notes may be added",
                   f"差错单 {case.no} 已{'办结' if case.status == 'resolved' else '驳回'}，只能添加备注"))
        return {**said, **dict.fromkeys(ACTIONS[1:], why)}
    if live is not None:  # cannot happen while open, but the cash decides, not the case
        why = _no(f"the cash of case {case.no} already has an outcome ({live.kind})",
                  f"差错单 {case.no} 的款项已有处理结果")
        return {**said, **dict.fromkeys(MONEY, why)}
    if case.kind == "payment":
        not_credited = _no(f"{payment} was not credited: there is nothing to void; re-credit, refund or write it off",
                           f"缴费 #{seq} 未入账，无法冲正；请改入正确户号、退款或核销")
        if txn_state == "credited":
            credited = _no(f"{payment} is credited: its cash is with the account; a wrong account is corrected "
                           "with a void", f"缴费 #{seq} 已入账；户号错误请用冲正（void）")
            return {**said, "recredit": credited, "refund": credited, "writeoff": credited, "reject": None}
        if txn_state == "flagged":
            return {**said, "void": not_credited, "close": _unsettled(case, money), "reject": _unsettled(case, money)}
        if txn_state == "pending":
            pending = _no(f"{payment} is pending: the backend may still credit it; re-credit it (the backend then "
                          "says whether it was credited) or wait", f"缴费 #{seq} 待确认，后台可能仍会入账；"
                          "请改入正确户号（后台会告知是否已入账）或等待")
            return {**said, "void": not_credited, "refund": pending, "writeoff": pending,
                    "close": _unsettled(case, money), "reject": _unsettled(case, money)}
        busy = _no(f"{payment} is still being submitted", f"缴费 #{seq} 正在提交")
        return {**said, **dict.fromkeys(("recredit", "void", "refund", "writeoff", "close", "reject"), busy)}
    void = _no("a claimed note was never credited: there is nothing to void", "客户申诉的纸币未曾入账，无法冲正")
    if case.found:
        found = _no(f"the count found the claimed note ({money}): re-credit, refund or write it off first",
                    f"清点已找到该纸币（{format_money(case.amount)}），请先改入户号、退款或核销")
        return {**said, "void": void, "close": found, "reject": found}
    unchecked = (_no("no cash-box count has found this note (yet): a claim is paid only once a count finds it",
                     "钱箱清点尚未找到该纸币：清点核实后方可处理款项") if case.count_session is None else
                 _no(f"the count of the box did not find a note of {money}: reject the claim",
                     f"钱箱清点未发现 {format_money(case.amount)} 的长款：请驳回申诉"))
    return {**said, **dict.fromkeys(MONEY, unchecked), "close": None}


def _unsettled(case: CaseRecord, money: str) -> tuple[str, str]:
    return _no(f"the cash of case {case.no} ({money}) has no outcome yet: re-credit, refund or write it off first",
               f"差错单 {case.no} 的款项（{format_money(case.amount)}）尚未处理：请先改入户号、退款或核销")


def check(refused: dict[str, tuple[str, str] | None], action: str) -> None:
    """CaseError unless `action` is allowed."""
    why = refused[action]
    if why is not None:
        raise CaseError(*why)


def text(value: object, what: str, what_zh: str) -> str:
    """A non-empty staff text of at most MAX_TEXT characters (reason, note)."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise CaseError(f"{what}: text of 1-{MAX_TEXT} characters required", f"{what_zh}：请输入 1-{MAX_TEXT} 个字")
    return value.strip()


def phone(value: str | None) -> str | None:
    """A customer phone number (digits, spaces, dashes, a leading +), or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or _PHONE.fullmatch(value.strip()) is None:
        raise CaseError("phone: digits (5-20, spaces, dashes, a leading +) required", "电话：请输入 5-20 位数字")
    return value.strip()


def account(value: object, what: str = "account") -> str:
    """An account number as the customer types it (4-32 digits)."""
    if not isinstance(value, str) or _ACCOUNT.fullmatch(value.strip()) is None:
        raise CaseError(f"{what}: an account number (4-32 digits) required", "户号：请输入 4-32 位数字")
    return value.strip()


def claimed_at(value: str | None, tz: str, now: datetime) -> str:
    """When the customer says the note went in: RFC 3339, or local 'YYYY-MM-DD HH:MM'; not in the future."""
    if not value:
        return format_utc(now)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CaseError(f"when: 'YYYY-MM-DD HH:MM' (local) or an RFC 3339 time required, got {value!r}",
                        "时间：请按 YYYY-MM-DD HH:MM 输入") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    if moment > now + timedelta(minutes=5) or moment < now - CLAIM_MAX_AGE:
        raise CaseError("when: within the last 90 days, not in the future", "时间：须在 90 天之内且不晚于现在")
    return format_utc(moment)
