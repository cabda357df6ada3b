"""Money as people read it: integer fen in yuan, never through a float (no printer, no crypto here,
so kioskctl reads it alone)."""

from __future__ import annotations


def format_money(fen: int, currency: str = "CNY", locale: str = "zh-CN") -> str:
    """Integer fen as "123.45 元" (zh-CN, CNY) or "123.45 CNY"; never through a float."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    unit = "元" if locale == "zh-CN" and currency == "CNY" else currency
    return f"{sign}{whole}.{cents:02d} {unit}"
