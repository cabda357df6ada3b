"""The limits and formats the model enforces (from config), and the account-number check."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    """The limits and formats the model enforces (from config)."""

    account_min: int = 8
    account_max: int = 16
    check_digit: str = "none"
    max_payment: int = 500000
    max_notes: int = 50
    locale: str = "zh-CN"


def luhn_ok(digits: str) -> bool:
    """True when the last digit is the Luhn check digit of the others."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def account_problem(account: str, rules: Rules) -> str | None:
    """Why an account number is not well formed, or None."""
    if len(account) < rules.account_min:
        return "too_short"
    if len(account) > rules.account_max:
        return "too_long"
    if rules.check_digit == "luhn" and not luhn_ok(account):
        return "check_digit"
    return None


@dataclass(frozen=True)
class Site:
    """Where the customer stands and whom to call: the hall's names and the service hotline."""

    hall: str = ""
    hall_en: str = ""  # "" = hall
    hotline: str = ""  # "" = none shown


DEFAULT_RULES = Rules()
DEFAULT_SITE = Site()
