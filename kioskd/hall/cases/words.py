"""The words staff read about a case (zh-CN, en), shared by kioskctl case and the evidence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

WORDS: dict[str, dict[str, Any]] = {
    "zh-CN": {"kinds": {"payment": "缴费差错", "claim": "客户申诉：纸币未计入"},
              "statuses": {"open": "处理中", "waiting": "等待后台", "resolved": "已办结", "rejected": "已驳回"},
              "actions": {"note": "备注", "recredit": "改入户号", "void": "冲正转入", "refund": "退款",
                          "writeoff": "核销", "close": "结案", "reject": "驳回"},
              "step_names": {"opened": "开单", "note": "备注", "count_checked": "钱箱清点核对", "recredit": "改入户号",
                             "void": "冲正转入", "refund": "退款", "writeoff": "核销", "closed": "结案",
                             "contact_erased": "删除客户电话"},
              "states": {"requested": "已申请", "done": "完成", "refused": "被拒绝", "credited": "已入账",
                         "accepted": "已接受"},
              "txn_states": {"closed": "待提交", "credited": "已入账", "pending": "待确认", "flagged": "待人工处理"},
              "verdicts": {"over": "长款", "short": "短款", "match": "相符"},
              "found": "找到该纸币", "not_found": "未找到", "unchecked": "尚未清点", "ref": "参考号", "reason": "原因",
              "paid_by": "经办人", "approved_by": "审批人"},
    "en": {"kinds": {"payment": "payment", "claim": "claim: note not counted"},
           "statuses": {"open": "open", "waiting": "waiting for the backend", "resolved": "resolved",
                        "rejected": "rejected"},
           "actions": {"note": "note", "recredit": "re-credit", "void": "void", "refund": "refund",
                       "writeoff": "write off", "close": "close", "reject": "reject"},
           "step_names": {"opened": "opened", "note": "note", "count_checked": "checked against the count",
                          "recredit": "re-credit", "void": "void", "refund": "refund", "writeoff": "write-off",
                          "closed": "closed", "contact_erased": "phone erased"},
           "states": {"requested": "requested", "done": "done", "refused": "refused", "credited": "credited",
                      "accepted": "accepted"},
           "txn_states": {"closed": "to submit", "credited": "credited", "pending": "pending",
                          "flagged": "flagged for staff"},
           "verdicts": {"over": "over", "short": "short", "match": "match"},
           "found": "found the note", "not_found": "did not find it", "unchecked": "not counted yet", "ref": "ref",
           "reason": "reason", "paid_by": "paid by", "approved_by": "approved by"},
}


def word(lang: str, group: str, key: str | None) -> str:
    """One word of a group (a status, a step's name...), the code itself when it has none."""
    return WORDS[lang][group].get(key, key) if key is not None else ""


def found_word(lang: str, found: bool | None) -> str:
    """What the cash-box count said of a claimed note."""
    t = WORDS[lang]
    return t["unchecked"] if found is None else t["found"] if found else t["not_found"]


def step_words(step: dict[str, Any], lang: str, money: Callable[[int], str]) -> str:
    """A case step as staff read it: its name, state, text, accounts, amount, reference, reason, people."""
    t, d, name = WORDS[lang], step["data"], step["step"]
    people = (f"{t['paid_by']} {d['paid_by']} {d.get('paid_by_name') or ''}".rstrip() + " / "
              + f"{t['approved_by']} {d['approved_by']} {d.get('approved_by_name') or ''}".rstrip()
              if d.get("approved_by") else None)
    accounts = (f"{d['account']} -> {d['to']}" if d.get("to") else d.get("account")) if name != "opened" else None
    said = [word(lang, "step_names", name), word(lang, "states", d.get("state")), d.get("text"), accounts,
            money(d["amount"]) if d.get("amount") and name != "opened" else None,
            f"{t['ref']} {d['ref']}" if d.get("ref") else None,
            f"{t['reason']}: {d['reason']}" if d.get("reason") else None, people,
            found_word(lang, bool(d.get("found"))) if name == "count_checked" else None]
    return " · ".join(str(w) for w in said if w not in (None, ""))
