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


def reconcile(expected: dict[int, int], counted: dict[int, int],
              counterfeit: dict[int, int] | None = None) -> list[dict[str, Any]]:
    """Per denomination: expected (the counters), counted (genuine notes), counterfeit notes, the
    difference in notes (genuine + counterfeit - expected) and match/over/short.

    A counterfeit the validator took was counted into the box like any note: it makes up the
    notes, but not the money, so it is a difference of its own (a vendor claim or a loss).
    """
    fakes = counterfeit or {}
    rows = []
    for value in sorted(set(expected) | set(counted) | set(fakes)):
        want, got, fake = expected.get(value, 0), counted.get(value, 0), fakes.get(value, 0)
        diff = got + fake - want
        verdict = "match" if diff == 0 else "over" if diff > 0 else "short"
        rows.append({"value": value, "expected": want, "counted": got, "counterfeit": fake, "diff": diff,
                     "verdict": verdict})
    return rows


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The reconciliation in fen: expected, genuine counted, counterfeit, over, short, difference (counted - expected)."""
    expected = sum(r["value"] * r["expected"] for r in rows)
    counted = sum(r["value"] * r["counted"] for r in rows)
    return {"expected": expected, "counted": counted,
            "counterfeit": sum(r["value"] * r["counterfeit"] for r in rows),
            "over": sum(r["value"] * r["diff"] for r in rows if r["diff"] > 0),
            "short": -sum(r["value"] * r["diff"] for r in rows if r["diff"] < 0),
            "difference": counted - expected}
