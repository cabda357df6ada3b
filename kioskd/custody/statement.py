"""The custody session's paper and figures: the cash statement, and the reconciliation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Statement:
    """The terminal cash statement (终端现金对账单) of the box being emptied."""

    kiosk: str
    box_id: str
    since: str | None
    until: str
    counts: dict[int, int]
    payments: int
    tech1: tuple[str, str]
    tech2: tuple[str, str]

    @property
    def total(self) -> int:
        """Fen in the box by the terminal's counters."""
        return sum(value * n for value, n in self.counts.items())


def yuan(fen: int) -> str:
    """Fen as ¥ text with two decimals (integer arithmetic)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


_LABELS = {
    "zh-CN": {"title": "终端现金对账单", "kiosk": "终端号", "box": "钱箱号", "period": "期间",
              "value": "面额", "notes": "张数", "amount": "金额", "total": "合计",
              "payments": "缴费笔数", "tech1": "技术员一", "tech2": "技术员二", "time": "时间 (UTC)"},
    "en": {"title": "Terminal cash statement", "kiosk": "Kiosk", "box": "Box", "period": "Period",
           "value": "Note", "notes": "Notes", "amount": "Amount", "total": "Total",
           "payments": "Payments", "tech1": "Technician 1", "tech2": "Technician 2", "time": "Time (UTC)"},
}


def statement_lines(s: Statement, locale: str = "zh-CN") -> list[str]:
    """The statement as text lines in zh-CN or en; the integrator prints them."""
    t = _LABELS[locale]
    lines = [t["title"], f"{t['kiosk']}: {s.kiosk}", f"{t['box']}: {s.box_id}",
             f"{t['period']}: {s.since or '-'} .. {s.until}", f"{t['value']} / {t['notes']} / {t['amount']}"]
    lines += [f"{yuan(v)} x {n} = {yuan(v * n)}" for v, n in sorted(s.counts.items())]
    lines += [f"{t['total']}: {sum(s.counts.values())} / {yuan(s.total)}", f"{t['payments']}: {s.payments}",
              f"{t['tech1']}: {s.tech1[0]} {s.tech1[1]}", f"{t['tech2']}: {s.tech2[0]} {s.tech2[1]}",
              f"{t['time']}: {s.until}"]
    return lines


def reconcile(expected: dict[int, int], counted: dict[int, int]) -> list[dict[str, Any]]:
    """Per denomination: expected, counted, difference (notes) and match/over/short."""
    rows = []
    for value in sorted(set(expected) | set(counted)):
        want, got = expected.get(value, 0), counted.get(value, 0)
        verdict = "match" if got == want else "over" if got > want else "short"
        rows.append({"value": value, "expected": want, "counted": got, "diff": got - want, "verdict": verdict})
    return rows
