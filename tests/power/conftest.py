"""Power-cut tests need FUSE: skipped with the reason where it is missing, an error in CI."""

from __future__ import annotations

import os

import pytest

from tests.power.mount import fuse_missing


@pytest.fixture
def fuse() -> None:
    """Skip (or, with KIOSKD_REQUIRE_FUSE=1 as in CI, fail) when FUSE cannot be mounted here."""
    missing = fuse_missing()
    if missing is None:
        return
    if os.environ.get("KIOSKD_REQUIRE_FUSE"):
        pytest.fail(f"KIOSKD_REQUIRE_FUSE is set but {missing}")
    pytest.skip(missing)
