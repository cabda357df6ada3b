"""Suite-wide checks."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI (KIOSKD_REQUIRE_BROWSER=1) a missing Chromium is an error, not a skip."""
    if os.environ.get("KIOSKD_REQUIRE_BROWSER") and not os.path.exists(CHROMIUM):
        raise pytest.UsageError(f"KIOSKD_REQUIRE_BROWSER is set but {CHROMIUM} is missing")
