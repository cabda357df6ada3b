"""The count differences and vendor claims of a report's period, and the differences still open."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kioskd.ledger import Ledger

_T: dict[str, dict[str, Any]] = {
    "zh-CN": {"differences": "清点差额", "open": "未处理差额", "claims": "厂商索赔", "none": "无",
              "earlier": "此前遗留（最早的列出）", "period": "本期新增", "more": "另有 {} 笔未列出",
              "full": "完整清单：kioskctl difference list，或员工页面 登记簿 > 清点差额",
              "kinds": {"over": "长款", "short": "短款", "counterfeit": "假币"},
              "statuses": {"claimed": "已索赔", "compensated": "已赔付", "rejected": "已拒赔", "bad_debt": "坏账"}},
    "en": {"differences": "Count differences", "open": "Differences still open", "claims": "Vendor claims",
           "none": "none", "earlier": "Carried over (oldest listed)", "period": "New in this period",
           "more": "{} more not listed",
           "full": "Full list: kioskctl difference list, or the staff page: Registers > Differences",
           "kinds": {"over": "over", "short": "short", "counterfeit": "counterfeit"},
           "statuses": {"claimed": "claimed", "compensated": "compensated", "rejected": "rejected",
                        "bad_debt": "bad debt"}},
}


def _tally(rows: list[dict[str, Any]], key: str, amount: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        fig = out.setdefault(row[key], {"count": 0, "total": 0})
        fig["count"] += 1
        fig["total"] += row[amount]
    return {k: out[k] for k in sorted(out)}


async def register_figures(ledger: Ledger, since: str, until: str) -> dict[str, Any]:
    """Differences counted and claims made in [since, until) by kind and status, and the open differences
    in their bounded form (kioskd.ledger.opendiffs)."""
    counted = await ledger.registers.differences(since=since, until=until)
    claims = await ledger.registers.claims(since=since, until=until)
    return {
        "differences": _tally(counted, "kind", "value"),
        "open": await ledger.registers.open_summary(since, until),
        "claims": _tally(claims, "status", "amount"),
    }


def _open_lines(still_open: dict[str, Any], t: dict[str, Any], money: Callable[[int], str]) -> list[str]:
    """Count, total and kinds of the open differences, the oldest earlier ones, the period's, where the rest are."""
    lines = ["", f"{t['open']}: " + (f"{still_open['count']} / {money(still_open['total'])}"
                                     if still_open["count"] else t["none"])]
    if not still_open["count"]:
        return lines
    lines += [f"  {t['kinds'][k]}: {f['count']} / {money(f['total'])}" for k, f in still_open["by_kind"].items()]

    def listed(title: str, part: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
        if not part["count"]:
            return []
        out = [f" {title}: {part['count']} / {money(part['total'])}"]
        out += [f"  #{d['no']} {t['kinds'][d['kind']]} {money(d['value'])} {d['serial'] or ''}".rstrip() for d in rows]
        return out + ([f"  {t['more'].format(part['count'] - len(rows))}"] if part["count"] > len(rows) else [])

    lines += listed(t["earlier"], still_open["earlier"], still_open["earlier"]["oldest"])
    lines += listed(t["period"], still_open["period"], still_open["period"]["listed"])
    return lines + [f" {t['full']}"]


def register_lines(fig: dict[str, Any], locale: str, money: Callable[[int], str]) -> list[str]:
    """The figures as report lines."""
    t = _T[locale]
    lines = ["", t["differences"] + ":"]
    lines += [f"  {t['kinds'][k]}: {f['count']} / {money(f['total'])}" for k, f in fig["differences"].items()] or [
        f"  {t['none']}"]
    lines += _open_lines(fig["open"], t, money)
    lines += ["", t["claims"] + ":"]
    lines += [f"  {t['statuses'][k]}: {f['count']} / {money(f['total'])}" for k, f in fig["claims"].items()] or [
        f"  {t['none']}"]
    return lines
