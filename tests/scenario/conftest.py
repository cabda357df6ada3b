"""A simulated kiosk subprocess per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.daemon import RunningKiosk, start_kiosk


@pytest.fixture
async def kiosk(tmp_path: Path) -> AsyncIterator[RunningKiosk]:
    k = await start_kiosk(tmp_path / "state")
    await k.until(lambda s: s.get("state") == "service_idle", "the idle screen")
    try:
        yield k
    finally:
        await k.stop()
