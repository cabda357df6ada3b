"""kioskctl payment commands: staff end a payment that waits for a stuck note (via the control socket)."""

from __future__ import annotations

import argparse
from typing import Any

from kioskd.cli.staff import _run, common_options
from kioskd.customer.receipts.money import format_money

_L = {
    "zh-CN": "缴费已结束：已收 {counted} 提交入账{stuck}（审计 #{audit}）",
    "en": "payment ended: {counted} counted and submitted{stuck} (audit #{audit})",
}
_STUCK = {"zh-CN": "，卡住的纸币 {0} 未计入", "en": "; the stuck {0} note is not in it"}


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `kioskctl payment end`."""
    payment = subparsers.add_parser("payment", help="the payment on the customer's screen")
    actions = payment.add_subparsers(dest="payment_command", required=True)
    p = actions.add_parser("end", parents=[common_options()],
                           help="a note is stuck: submit the counted notes without it now")
    p.add_argument("--by", required=True, help="who ends the payment (staff name or number)")
    p.set_defaults(func=_run, build=lambda a: {"cmd": "payment_end", "by": a.by}, show=_show_end)


def _show_end(r: dict[str, Any], lang: str) -> None:
    money = lambda fen: format_money(fen, "CNY", lang)  # noqa: E731
    stuck = _STUCK[lang].format(money(r["stuck_note"])) if r.get("stuck_note") else ""
    print(_L[lang].format(counted=money(r["counted"]), stuck=stuck, audit=r["audit"]))
