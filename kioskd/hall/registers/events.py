"""The work log's words: every kind of audit entry kioskd writes, named in zh-CN and en.

The work log (kioskctl audit list/print, the staff page) shows these instead of the chain's
identifiers. tests/registers/test_event_words.py reads kioskd's source for every kind it can
write and fails on one without words here; kinds only older versions wrote stay, for old journals.
"""

from __future__ import annotations

EVENT_WORDS: dict[str, tuple[str, str]] = {  # kind: (zh-CN, en)
    # payments and notes (kioskd.ledger.chain)
    "txn_open": ("缴费开始", "payment opened"),
    "note": ("纸币入账", "note credited"),
    "txn_state": ("缴费状态变更", "payment state changed"),
    "stack_intent": ("纸币准备入箱", "note about to be stacked"),
    "stack_clear": ("纸币未入箱", "note not stacked"),
    "counters_reset": ("钱箱计数清零", "box counters reset"),
    "note_in_doubt": ("纸币去向不明", "note in doubt"),
    "doubt_settled": ("去向不明纸币已确认", "in-doubt note settled"),
    "payment_ended": ("员工结束卡币缴费", "stuck-note payment ended by staff"),
    "reprint": ("补打凭条", "receipt reprinted"),
    "invoice_requested": ("申请发票", "invoice requested"),
    "invoice_settled": ("发票结果", "invoice answered"),
    # cases (差错)
    "case_opened": ("差错单建立", "case opened"),
    "case_note": ("差错单备注", "case note"),
    "case_count_checked": ("差错单核对清点", "case checked against the count"),
    "case_recredit": ("差错单补记账", "case: re-credit"),
    "case_void": ("差错单撤销缴费", "case: payment voided"),
    "case_refund": ("差错单退款", "case: refund"),
    "case_writeoff": ("差错单核销", "case: written off"),
    "case_closed": ("差错单关闭", "case closed"),
    "case_contact_erased": ("客户电话已删除", "customer's phone erased"),
    "case_evidence": ("查看差错单证据", "case evidence read"),
    "case_voucher_copy": ("补打退款凭证", "refund voucher reprinted"),
    # custody (清机)
    "custody_start": ("清机开始", "custody session started"),
    "custody_same_technician": ("同一技术员重复登录", "same technician twice"),
    "custody_refused_keys": ("两人持同一钥匙，拒绝清机", "refused: both hold the same key"),
    "custody_open": ("钱箱解锁", "cash box released"),
    "box_removed": ("钱箱取出", "box taken out"),
    "box_tamper": ("钱箱异常取出", "box taken out without a session"),
    "box_inserted": ("钱箱放回", "box put back"),
    "custody_count_start": ("开始清点", "count started"),
    "custody_count": ("清点结果", "count recorded"),
    "custody_end": ("清机结束", "custody session ended"),
    "door_opened": ("机门打开", "door opened"),
    "door_closed": ("机门关闭", "door closed"),
    # registers (登记簿)
    "handover": ("交接记录", "handover record"),
    "counterfeit": ("假币登记", "counterfeit recorded"),
    "counterfeit_photo": ("假币照片登记", "counterfeit photo added"),
    "difference_opened": ("差额登记", "difference recorded"),
    "difference_resolved": ("差额处理", "difference resolved"),
    "claim_created": ("厂商索赔", "vendor claim made"),
    "claim_compensated": ("索赔已赔付", "claim compensated"),
    "claim_rejected": ("索赔被拒", "claim rejected"),
    "claim_bad_debt": ("索赔坏账核销", "claim written off (bad debt)"),
    "key_handover": ("钥匙交接", "key handed over"),
    "patrol": ("巡检签到", "patrol check-in"),
    "patrol_note": ("巡检补充备注", "patrol note added"),
    "register_print": ("打印登记簿", "register printed"),
    "report_export": ("导出对账文件", "reconciliation file exported"),
    "daily_close": ("日结", "daily close"),
    # staff and the kiosk itself
    "staff_added": ("添加员工", "staff added"),
    "staff_disabled": ("停用员工", "staff disabled"),
    "staff_auth": ("员工登录核验", "staff sign-in check"),
    "staff_locked": ("员工账号锁定", "staff locked out"),
    "staff_pins_keyed": ("员工密码加密升级", "staff PINs re-keyed"),
    "staff_refused": ("员工操作被拒", "staff action refused"),
    "staff_emergency_login": ("紧急登录", "emergency sign-in"),
    "tech_added": ("添加技术员", "technician added"),  # older kioskd
    "tech_disabled": ("停用技术员", "technician disabled"),  # older kioskd
    "alert": ("告警", "alert change"),  # raised, acknowledged or cleared: the entry says which
    "config_change": ("配置变更", "configuration changed"),
    "restore": ("从备份恢复", "restored from a backup"),
    "restart": ("终端启动", "kiosk started"),
    "checkpoint": ("签名检查点", "signed checkpoint"),
}


def event_name(kind: str, locale: str = "zh-CN") -> str:
    """An audit entry's kind in words (the identifier itself when this kioskd has none)."""
    words = EVENT_WORDS.get(kind)
    return kind if words is None else words[0 if locale == "zh-CN" else 1]


def event_names(kinds: set[str] | list[str]) -> dict[str, dict[str, str]]:
    """Kind -> {"zh-CN", "en"} words, for the staff page."""
    return {k: {"zh-CN": event_name(k, "zh-CN"), "en": event_name(k, "en")} for k in kinds}
