"""The billing accounts the reference backend answers for: a TOML file of [[account]] tables."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

DEMO_ACCOUNTS = Path(__file__).with_name("demo_accounts.toml")


def load_accounts(path: Path) -> list[dict[str, Any]]:
    """Accounts from a TOML file of [[account]] tables."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    accounts = data.get("account", [])
    for a in accounts:
        if not (isinstance(a.get("account"), str) and len(a["account"]) == 10 and a["account"].isdigit()):
            raise ValueError(f"{path}: account numbers are 10 digits, got {a.get('account')!r}")
    return accounts
