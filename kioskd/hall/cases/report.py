"""The cases' part of the daily report (日结): what happened to cases that day, and the day's cash balance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_TEXT = {
    "zh-CN": {"cases": "差错/投诉", "opened": "新开", "resolved": "办结", "rejected": "驳回", "open_now": "未结",
              "recredits": "改入正确户号", "voids": "冲正转入", "refunds": "柜台退款（现金付出）", "writeoffs": "核销",
              "balance": "当日现金平衡", "box": "入箱", "found": "其中清点找回", "credited": "已入账",
              "unresolved": "未处理", "written_off": "核销", "balanced": "平衡", "not_balanced": "不平衡！",
              "rule": "入箱 - 退款 = 已入账 + 未处理 + 核销"},
    "en": {"cases": "Cases", "opened": "opened", "resolved": "resolved", "rejected": "rejected", "open_now": "open now",
           "recredits": "Re-credited", "voids": "Voided and moved", "refunds": "Refunds at the counter (cash out)",
           "writeoffs": "Written off", "balance": "The day's cash", "box": "into the box", "found": "of it found "
           "at counts", "credited": "credited", "unresolved": "unresolved", "written_off": "written off",
           "balanced": "balances", "not_balanced": "DOES NOT BALANCE", "rule": "box - refunds = credited + "
           "unresolved + written off"},
}


def case_lines(figures: dict[str, Any], locale: str, money: Callable[[int], str]) -> list[str]:
    """The case figures and the balance as report lines."""
    t, b = _TEXT[locale], figures["balance"]
    lines = ["", f"{t['cases']}: " + ", ".join(f"{t[k]} {figures[k]}" for k in ("opened", "resolved", "rejected",
                                                                                 "open_now"))]
    for key in ("recredits", "voids", "refunds", "writeoffs"):
        lines.append(f"  {t[key]}: {figures[key]['count']} / {money(figures[key]['total'])}")
    lines += [f"{t['balance']} ({t['rule']}):",
              f"  {t['box']} {money(b['box'])} ({t['found']} {money(b['found'])})",
              f"  {t['refunds']} {money(b['refunds'])}",
              f"  {t['credited']} {money(b['credited'])}, {t['unresolved']} {money(b['unresolved'])}, "
              f"{t['written_off']} {money(b['written_off'])}",
              f"  {t['balanced'] if b['balanced'] else t['not_balanced']}"]
    return lines
