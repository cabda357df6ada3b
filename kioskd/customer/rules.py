"""The customer flow's rules (account numbers, payment limits, language) from config."""

from __future__ import annotations

from kioskd.config import Config
from statemachine.rules import Rules


def rules_from(config: Config) -> Rules:
    """The model's rules from config."""
    return Rules(
        account_min=config.account.min_length, account_max=config.account.max_length,
        check_digit=config.account.check_digit, max_payment=config.limits.max_payment,
        max_notes=config.limits.max_notes, locale=config.kiosk.locale,
    )
