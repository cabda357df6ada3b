"""What an audit entry says, in words (zh-CN, en): the work log's detail column.

kioskctl audit list/print and the staff page's work log show an entry's data as labelled
words ("金额 ¥150.00，流水号 1") instead of the chain's key=value identifiers. Who acted is
the log's own column (paper.who), so the person fields are not repeated here; internal ids
(session, txn, case uuids) and nested records are left to `kioskctl audit` --json.
A field or value without words keeps its identifier (a later kioskd's entry still reads).
"""

from __future__ import annotations

import json
from typing import Any

from kioskd.custody.statement import yuan
from kioskd.hall.accounts import ROLE_NAMES
from kioskd.hall.alert_titles import TITLES
from kioskd.hall.words import BACKEND_REASONS, reason_code

# shown elsewhere (who), internal identifiers, or records too large for one line
HIDDEN = frozenset({
    "by", "by_name", "by_role", "via", "uid", "tech1", "tech2", "confirmed_by", "session", "txn", "case",
    "step_id", "id", "at", "type", "detail", "entered", "rows", "record", "payload", "started", "ended",
    "created", "counts", "counterfeits", "totals", "alert", "digest", "approved_via", "severity",
    "before", "after", "box", "by_hour", "by_note", "by_status", "box_today", "box_emptied", "cases",
    "registers", "ratings", "pending", "flagged", "since", "until", "tz", "currency", "kiosk", "n",
})
MONEY = frozenset({"amount", "value", "due", "balance", "total", "average"})

FIELDS: dict[str, tuple[str, str]] = {  # key: (zh-CN, en), in the order they are shown
    "no": ("编号", "no."), "kind": ("类别", "kind"), "code": ("告警", "alert"), "action": ("操作", "action"),
    "seq": ("流水号", "serial"), "account": ("户号", "account"), "holder": ("户名", "holder"),
    "amount": ("金额", "amount"), "value": ("面额", "value"), "due": ("应缴", "due"), "balance": ("余额", "balance"),
    "total": ("合计", "total"), "average": ("平均", "average"), "count": ("笔数", "count"),
    "duplicate": ("补打序号", "copy no."), "reason": ("原因", "reason"), "ref": ("后台参考号", "backend ref"),
    "staff": ("工号", "staff ID"), "name": ("姓名", "name"), "role": ("角色", "role"),
    "result": ("结果", "result"), "tries_left": ("剩余次数", "tries left"), "failures": ("错误次数", "failures"),
    "until": ("锁定至", "locked until"),
    "approving": ("用于确认", "approving"), "claimed": ("自称", "claimed"), "source": ("开始方式", "started by"),
    "tech": ("技术员", "technician"), "box_id": ("钱箱", "box"), "payments": ("缴费笔数", "payments"),
    "counterfeit": ("假币张数", "counterfeits"), "serial": ("冠字号", "serial no."), "photo": ("照片", "photo"),
    "text": ("内容", "text"), "note": ("备注", "note"), "contact": ("留有电话", "phone kept"),
    "to": ("给", "to"), "from": ("从", "from"), "key": ("钥匙", "key"), "copy": ("钥匙编号", "key copy"),
    "confirmed": ("确认人", "confirmed by"), "keys": ("钥匙", "keys"), "techs": ("技术员", "technicians"),
    "screen_ok": ("屏幕正常", "screen fine"), "paper_ok": ("打印纸正常", "paper fine"),
    "seal_ok": ("无破坏痕迹", "no tampering"), "explanation": ("说明", "explanation"),
    "approved_by": ("批准人", "approved by"), "approved_by_name": ("批准人姓名", "approver's name"),
    "paid_by": ("付款人", "paid by"), "paid_by_name": ("付款人姓名", "payer's name"),
    "claim": ("索赔单", "claim"), "differences": ("差额", "differences"), "notes": ("张数", "notes"),
    "remark": ("备注", "remark"), "vendor_ref": ("厂商单号", "vendor ref"), "found": ("找到", "found"),
    "what": ("内容", "what"), "date": ("日期", "date"), "file": ("文件", "file"), "doubt": ("去向不明纸币", "in-doubt note"),
    "settled": ("确认为", "settled as"), "basis": ("依据", "basis"), "event": ("事件", "event"), "note_no": ("张", "note"),
    "ok": ("相符", "matches"), "counted": ("清点", "counted"), "summary": ("摘要", "summary"),
    "change": ("变更", "change"), "last_note": ("最后一张", "last note"), "outcome": ("结果", "outcome"),
    "state": ("状态", "state"), "status": ("状态", "status"), "client": ("来自", "from"),
}
VALUES: dict[str, tuple[str, str]] = {  # a value's identifier: (zh-CN, en)
    "raised": ("发生", "raised"), "acknowledged": ("已确认", "acknowledged"), "cleared": ("已解除", "cleared"),
    "ok": ("通过", "passed"), "bad_secret": ("密码错误", "wrong secret"), "locked": ("已锁定", "locked"),
    "unknown": ("工号不存在", "no such staff ID"), "disabled": ("已停用", "disabled"),
    "credited": ("已入账", "credited"), "pending": ("待确认", "pending"), "flagged": ("待人工处理", "flagged"),
    "closed": ("已关闭", "closed"), "open": ("未处理", "open"), "resolved": ("已处理", "resolved"),
    "waiting": ("等待后台", "waiting for the backend"), "requested": ("已提交", "requested"),
    "aborted": ("中止", "aborted"), "completed": ("完成", "completed"), "cancelled": ("已取消", "cancelled"),
    "timeout": ("超时", "timed out"), "same_technician": ("同一技术员", "same technician"),
    "over": ("长款", "over"), "short": ("短款", "short"), "claimed": ("已索赔", "claimed"),
    "compensated": ("已赔付", "compensated"), "rejected": ("被拒", "rejected"), "bad_debt": ("坏账", "bad debt"),
    "vendor_claim": ("向厂商索赔", "vendor claim"), "written_off": ("核销", "written off"),
    "door": ("机门", "the door"), "service_key": ("服务钥匙", "the service key"), "kioskctl": ("命令行", "kioskctl"),
    "issued": ("发放", "issued"), "returned": ("归还", "returned"), "payment": ("缴费", "payment"),
    "stacked": ("已入箱", "stacked"), "not_in_box": ("不在钱箱", "not in the box"),
    "alert_ack": ("确认告警", "acknowledge an alert"), "alert_clear": ("解除告警", "clear an alert"),
    "alert_clear_money": ("解除涉及款项的告警", "clear an alert about money"),
    "receipt_reprint": ("补打凭条", "reprint a receipt"), "report_close": ("日结", "daily close"),
    "refund_approve": ("批准退款", "approve a refund"), "difference_approve": ("批准差额", "approve a difference"),
    "case_open": ("登记差错", "open a case"), "payment_end": ("结束缴费", "end a payment"),
    "cashbox_open": ("开启钱箱", "open the cash box"),
}
_ORDER = {key: i for i, key in enumerate(FIELDS)}
_YES_NO = {"zh-CN": ("是", "否"), "en": ("yes", "no")}


def entry_words(data: dict[str, Any], locale: str = "zh-CN", width: int = 120) -> str:
    """An audit entry's data as labelled words in `locale`, at most `width` characters."""
    en = locale != "zh-CN"
    parts = []
    for key, value in sorted(data.items(), key=lambda item: _ORDER.get(item[0], len(_ORDER))):
        if key in HIDDEN or value in (None, "", [], {}) or _is_uuid(value):
            continue  # a case's outcome is a uuid, a custody session's a word
        label = FIELDS.get(key, (key, key))[en]
        if key == "note" and isinstance(value, int):  # a credited note's number, not a patrol's words
            label = ("张次", "note no.")[en]
        parts.append(f"{label} {_value(key, value, locale)}")
    text = (", " if en else "，").join(parts)
    return text if len(text) <= width else text[: width - 1] + "…"


def _is_uuid(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 36 and value.count("-") == 4


def _value(key: str, value: Any, locale: str) -> str:
    en = locale != "zh-CN"
    if isinstance(value, bool):
        return _YES_NO[locale if locale == "zh-CN" else "en"][0 if value else 1]
    if key in MONEY and isinstance(value, int):
        return yuan(value)
    if key == "code" and isinstance(value, str):
        return TITLES.get(value, (value, value))[en]
    if key == "role" and isinstance(value, str):
        return ROLE_NAMES["en" if en else "zh-CN"].get(value, value)
    if key == "reason" and isinstance(value, str) and reason_code(value) in BACKEND_REASONS:
        return BACKEND_REASONS[reason_code(value)][en]  # the backend's refusal, as the staff page says it
    if isinstance(value, str):
        return VALUES[value][en] if value in VALUES else value
    if isinstance(value, list):
        return ("、" if not en else ", ").join(_value(key, v, locale) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)
