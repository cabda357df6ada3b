"""What staff read for the codes of the kiosk, its devices and its backend: one table for the staff page and kioskctl.

The daemon sends the words with the codes (`state_zh`/`state_en`, `reason_zh`/`reason_en`,
`cause_zh`/`cause_en`), so the
page and kioskctl never keep copies of their own (the work log's words read this table too); the code
stays beside them for a support call.
"""

from __future__ import annotations

import re
from typing import Any

from kioskd.hall.fault_words import fault_kind_words
from kioskd.ledger.records import FOLLOW_UP_REASON
from kioskd.system.clock import local_text

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


# why a payment exists when no customer's look-up opened it (txns.opened_reason)
_FOLLOW_UP = re.compile(re.escape(FOLLOW_UP_REASON).replace(re.escape("{txn}"), r"(\S+)"))


def payment_reason_fields(opened: str | None, reason: str | None) -> dict[str, Any]:
    """A payment's two reasons in words: why it exists (`opened_zh`, `opened_en`) and how it ended (the
    backend's refusal: `reason_zh`, `reason_en`, `reason_known`); None for a reason it does not have."""
    found = _FOLLOW_UP.fullmatch(opened or "")
    if found:
        why: tuple[str | None, str | None] = (
            f"上一笔缴费（{found[1]}）结束后才入箱的纸币，单独记为本笔缴费",
            f"a note that reached the box after payment {found[1]} had ended, booked as this payment")
    else:
        why = (opened, opened)  # no words for it: shown as written
    ended = reason_fields(reason) if reason else {"reason_zh": None, "reason_en": None, "reason_known": True}
    return {"opened_zh": why[0], "opened_en": why[1], **ended}


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


def coded_fields(name: str, words: tuple[str, str] | None, unknown: tuple[str, str]) -> dict[str, Any]:
    """`NAME_zh`, `NAME_en` (the words, else the generic `unknown`) and `NAME_known` (False: show the code too)."""
    zh, en = words or unknown
    return {f"{name}_zh": zh, f"{name}_en": en, f"{name}_known": words is not None}


def reason_fields(reason: str) -> dict[str, Any]:
    """A backend refusal in words: `reason_zh`, `reason_en`, `reason_known`."""
    return coded_fields("reason", BACKEND_REASONS.get(reason_code(reason)), UNKNOWN_REASON)


# why a device alert was raised (detail "cause"): the validator offline (drivers/errors.py), the door
# switch unreadable (drivers/door.py), a validator fault; the driver's own English stays in the detail
DEVICE_CAUSES: dict[str, tuple[str, str]] = {
    "no_reply": ("识币器无应答（多次询问均无回复）", "the validator does not answer (no reply after several tries)"),
    "garbled": ("识币器回复无法识别（数据错乱，请检查线缆）", "the validator's replies are garbled (check the cable)"),
    "port_unavailable": ("识币器串口无法打开（线缆拔出或端口被占用）",
                         "the validator's serial port cannot be opened (unplugged, or in use)"),
    "port_lost": ("识币器串口已断开", "the validator's serial port went away"),
    "unreachable": ("无法连接识币器", "the validator cannot be reached"),
    "protocol": ("识币器通信协议出错", "the validator broke its wire protocol"),
    "device_error": ("识币器通信故障", "the link to the validator failed"),
    "start_timeout": ("启动时识币器未应答", "the validator did not answer at start-up"),
    "switch_missing": ("找不到机门开关的信号文件（GPIO 未导出或路径有误）",
                       "the door switch's value file is missing (GPIO not exported, or a wrong path)"),
    "switch_denied": ("无权读取机门开关", "no permission to read the door switch"),
    "switch_bad_level": ("机门开关读数异常（既非开也非关，可能线缆断开）",
                         "the door switch reads neither open nor closed (a cut cable?)"),
    "switch_read_error": ("读取机门开关出错", "reading the door switch failed"),
    "device_fault": ("识币器自报故障", "the validator reports a fault"),
    "validator_jam": ("识币器报告卡币", "the validator reports a jammed note"),
    "no_progress": ("纸币在暂存或入箱途中长时间停住，识币器未报告卡币（已按卡币处理）",
                    "a note stopped in escrow or on its way into the box and the validator reported no "
                    "outcome (treated as a jam)"),
    "journal": ("账本无法写入（磁盘满或只读）", "the journal refuses writes (disk full or read-only)"),
    "corrupt": ("账本校验失败，停止收款", "the journal check failed: no cash is taken"),
    "note without payment": ("一张纸币入箱但不属于任何缴费，清点时处理",
                             "a note went into the box with no payment: settle it at the count"),
}
UNKNOWN_CAUSE = ("未列明的设备原因", "a device reason not listed")


def cause_fields(detail: dict[str, Any]) -> dict[str, Any]:
    """A device alert's `cause` in words (`cause_zh`, `cause_en`, `cause_known`; a validator's own fault
    by its kind), and the driver's own text (`cause_detail`: its reason, error or fault kind) for a
    secondary line."""
    cause = detail.get("cause")
    cause = cause if isinstance(cause, str) else ""
    words = DEVICE_CAUSES.get(cause)
    kind = detail.get("kind")
    if cause == "device_fault" and isinstance(kind, str):
        words = fault_kind_words(kind) or words  # a kind no table lists: the generic "reports a fault"
    said = next((str(detail[k]) for k in ("reason", "error", "kind") if detail.get(k)), "")
    return {"cause": cause, **coded_fields("cause", words, UNKNOWN_CAUSE), "cause_detail": said}


# why the backend gives no definite answer (kioskd.uplink.errors.Unreachable.kind); {status}: the HTTP status
LINK_ERRORS: dict[str, tuple[str, str]] = {
    "timeout": ("后台在限定时间内无应答", "no answer from the backend in time"),
    "connect": ("无法连接到后台（网络不通或后台未运行）", "cannot connect to the backend (network down, or it is not running)"),
    "http": ("后台服务出错（状态码 {status}）", "the backend answered with an error (HTTP {status})"),
    "not_json": ("收到的回复不是后台的（可能是代理或网关的页面，状态码 {status}）",
                 "the reply is not the backend's (a proxy's or gateway's page? HTTP {status})"),
    "not_object": ("后台回复的格式有误（状态码 {status}）", "the backend's reply is malformed (HTTP {status})"),
}
UNKNOWN_LINK_ERROR = ("后台没有明确答复", "no definite answer from the backend")


def unreachable_fields(detail: dict[str, Any], tz: str) -> dict[str, Any]:
    """A backend_unreachable alert in words: why, since when (local), how many requests failed, the last
    answer; `cause_detail` is the last error as the link said it."""
    error = detail.get("error")
    error = error if isinstance(error, str) else ""
    zh, en = (w.format(status=detail.get("status")) for w in LINK_ERRORS.get(error, UNKNOWN_LINK_ERROR))
    since, tries = detail.get("since"), detail.get("tries")
    if isinstance(since, str) and isinstance(tries, int):
        # the count the alert was raised with (an open alert is not raised again): say so, not "so far"
        zh += f"；自 {_local(since, tz)} 起请求失败，报警时已失败 {tries} 次"
        en += f"; failing since {_local(since, tz)}, {tries} request{'s' if tries != 1 else ''} failed before the alert"
    last = detail.get("last_contact")
    last = _local(last, tz) if isinstance(last, str) and last != "never" else None
    zh += f"；最后一次联系上后台：{last or '从未'}"
    en += f"; last answer: {last or 'never'}"
    return {"cause": error, **coded_fields("cause", (zh, en), UNKNOWN_LINK_ERROR),
            "cause_detail": str(detail.get("last_error", ""))}


def clock_fields(detail: dict[str, Any], tz: str) -> dict[str, Any]:
    """A clock_skew alert in words: how far the kiosk's clock is off the backend's, and what it read (local)."""
    behind = detail.get("behind_s")
    if not isinstance(behind, int) or isinstance(behind, bool):
        zh, en = ("后台认为本机时间有误，但没有给出正确时间", "the backend calls the kiosk's time wrong and sent none to correct it")
    else:
        off_zh, off_en = _duration(abs(behind))
        zh = f"本机时钟比后台{'慢' if behind > 0 else '快'} {off_zh}，时间已按后台校正"
        en = f"the kiosk's clock is {off_en} {'behind' if behind > 0 else 'ahead of'} the backend's; times follow the backend"
    shown = detail.get("system_clock")
    if isinstance(shown, str):
        zh += f"（告警时本机时钟显示 {_local(shown, tz)}）"
        en += f" (the kiosk's clock read {_local(shown, tz)})"
    cause = "unknown" if not isinstance(behind, int) else "behind" if behind > 0 else "ahead"
    return {"cause": cause, **coded_fields("cause", (zh, en), UNKNOWN_CAUSE), "cause_detail": ""}


def _duration(seconds: int) -> tuple[str, str]:
    """`seconds` in its two largest units: ("1 天 2 小时", "1 day 2 h"), ("10 分钟", "10 min")."""
    units = ((86400, "天", "day"), (3600, "小时", "h"), (60, "分钟", "min"), (1, "秒", "s"))
    if seconds >= 60:  # a Date header says whole seconds: past a minute they are noise
        seconds = round(seconds / 60) * 60
    parts: list[tuple[int, str, str]] = []
    for size, zh, en in units:
        if seconds >= size or (size == 1 and not parts):
            count, seconds = divmod(seconds, size)
            parts.append((count, zh, en if en != "day" or count == 1 else "days"))
    parts = parts[:2]
    return " ".join(f"{n} {zh}" for n, zh, _ in parts), " ".join(f"{n} {en}" for n, _, en in parts)


def _local(utc_text: str, tz: str) -> str:
    """A stored UTC time in the kiosk's zone, "YYYY-MM-DD HH:MM:SS": as the staff page shows the alert's own
    time beside these words (staff.js `when`), and kioskctl its times."""
    try:
        return local_text(utc_text, tz, "%Y-%m-%d %H:%M:%S") if utc_text else utc_text
    except ValueError:  # an alert's detail is whatever was raised: shown as it came
        return utc_text
