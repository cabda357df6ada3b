"""What staff read for the codes of the kiosk and its backend: one table for the staff page and kioskctl.

The daemon sends the words with the codes (`state_zh`/`state_en`, `reason_zh`/`reason_en`), so the
page and kioskctl never keep copies of their own (the work log's words read this table too); the code
stays beside them for a support call.
"""

from __future__ import annotations

from typing import Any

# the kiosk's states; a state is named by its own entry or by the top state it lies in
# (payment_cash_waiting: payment)
KIOSK_STATES: dict[str, tuple[str, str]] = {
    "starting": ("启动中", "starting"),
    "service_idle": ("空闲，等待顾客", "idle, waiting for a customer"),
    "service": ("顾客自助补打凭条", "customer reprinting a receipt"),
    "payment": ("顾客缴费中", "customer paying"),
    "maintenance": ("维护中（开钱箱）", "maintenance (cash box)"),
    "unavailable": ("暂停服务", "out of service"),
}

# why the backend refused something (docs/spec/backend-api.md): a payment or re-credit (422
# "rejected: <code>"), an invoice (422), a batch or any request (400 "bad_request: ...", 409
# "fork: ...", "conflict: ...", a reason starting "rollback:")
BACKEND_REASONS: dict[str, tuple[str, str]] = {
    "unknown_account": ("后台拒收：户号不存在", "refused by the backend: no such account"),
    "account_blocked": ("后台拒收：户号暂停缴费", "refused by the backend: account suspended"),
    "account_frozen": ("后台拒收：户号已冻结", "refused by the backend: account frozen"),
    "account_closed": ("后台拒收：户号已销户", "refused by the backend: account closed"),
    "over_max": ("后台拒收：超过缴费限额", "refused by the backend: over the payment limit"),
    "currency": ("后台拒收：币种不符", "refused by the backend: another currency"),
    "refunded": ("后台拒收：该笔现金已退款", "refused by the backend: this cash was refunded"),
    "written_off": ("后台拒收：该笔现金已核销", "refused by the backend: this cash was written off"),
    "recredited": ("后台拒收：该笔现金已重新入账", "refused by the backend: this cash was credited again"),
    "payment_refused": ("后台不开票：该笔缴费被拒收", "no invoice: the backend refused the payment"),
    "amount_mismatch": ("后台不开票：金额与缴费不符", "no invoice: the amount is not the payment's"),
    "account_mismatch": ("后台不开票：户号与缴费不符", "no invoice: the account is not the payment's"),
    "bad_request": ("含后台不认识或认为有误的记录，可能需要升级后台",
                    "a record the backend does not know or finds malformed, the backend may need an upgrade"),
    "fork": ("与后台已收到的数据衔接不上（数据链分叉）", "it does not continue what the backend holds (a fork)"),
    "rollback": ("比后台已收到的数据更早，终端可能被恢复到旧备份", "it is older than what the backend holds, "
                 "the kiosk may run from an old backup"),
    "conflict": ("与后台已有的记录冲突", "it conflicts with a record the backend holds"),
}
UNKNOWN_REASON = ("未列明的后台原因", "a backend reason not listed")


def state_words(state: str) -> tuple[str, str]:
    """The kiosk state `state` in words (zh-CN, en); the code itself for one that has none."""
    key = next((k for k in KIOSK_STATES if state == k or state.startswith(k + "_")), None)
    return KIOSK_STATES[key] if key else (state, state)


def reason_code(reason: str) -> str:
    """The code a backend refusal is known by: "rejected: account_closed" -> account_closed,
    "fork: rollback: ..." -> rollback, "bad_request: records[3]..." -> bad_request."""
    error, _, detail = reason.partition(":")
    error, detail = error.strip(), detail.strip()
    if error == "rejected":
        return detail
    if detail.startswith("rollback:"):
        return "rollback"
    return error


def reason_fields(reason: str) -> dict[str, Any]:
    """`reason_zh`, `reason_en` (words) and `reason_known` (False: a generic phrase; show the code too)."""
    words = BACKEND_REASONS.get(reason_code(reason))
    zh, en = words or UNKNOWN_REASON
    return {"reason_zh": zh, "reason_en": en, "reason_known": words is not None}
