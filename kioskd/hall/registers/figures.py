"""The count differences and vendor claims of a report's period, and the differences still open."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kioskd.ledger import Ledger

_T: dict[str, dict[str, Any]] = {
    "zh-CN": {"differences": "清点差额", "open": "未处理差额", "claims": "厂商索赔", "none": "无",
              "kinds": {"over": "长款", "short": "短款", "counterfeit": "假币"},
              "statuses": {"claimed": "已索赔", "compensated": "已赔付", "rejected": "已拒赔", "bad_debt": "坏账"}},
    "en": {"differences": "Count differences", "open": "Differences still open", "claims": "Vendor claims",
           "none": "none", "kinds": {"over": "over", "short": "short", "counterfeit": "counterfeit"},
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
    """Differences counted and claims made in [since, until) by kind and status, and every open difference."""
    counted = await ledger.registers.differences(since=since, until=until)
    claims = await ledger.registers.claims(since=since, until=until)
    still_open = await ledger.registers.differences(status="open")
    return {
        "differences": _tally(counted, "kind", "value"),
        "open": [{"no": d["id"], "kind": d["kind"], "value": d["value"], "at": d["at"], "serial": d["serial"]}
                 for d in still_open],
        "claims": _tally(claims, "status", "amount"),
    }


def register_lines(fig: dict[str, Any], locale: str, money: Callable[[int], str]) -> list[str]:
    """The figures as report lines."""
    t = _T[locale]
    lines = ["", t["differences"] + ":"]
    lines += [f"  {t['kinds'][k]}: {f['count']} / {money(f['total'])}" for k, f in fig["differences"].items()] or [
        f"  {t['none']}"]
    lines += ["", f"{t['open']}: {len(fig['open']) or t['none']}"]
    lines += [f"  #{d['no']} {t['kinds'][d['kind']]} {money(d['value'])} {d['serial'] or ''}".rstrip()
              for d in fig["open"]]
    lines += ["", t["claims"] + ":"]
    lines += [f"  {t['statuses'][k]}: {f['count']} / {money(f['total'])}" for k, f in fig["claims"].items()] or [
        f"  {t['none']}"]
    return lines
