"""A journal that cannot be used: out of service, nothing taken, one log line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.daemon import start_kiosk

pytestmark = pytest.mark.slow


async def test_a_corrupt_journal_keeps_the_kiosk_out_of_service(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "journal.sqlite3").write_bytes(b"this is not a journal " * 512)
    kiosk = await start_kiosk(state)
    try:
        snap = await kiosk.until(lambda s: s.get("state") == "unavailable", "out of service")
        assert snap["unavailable"] == {"reason": "storage"}
        await kiosk.press("0", "confirm")  # keys lead nowhere; the validator is never enabled
        assert kiosk.snapshot["state"] == "unavailable"
    finally:
        assert await kiosk.stop() == 0
    log = (tmp_path / "daemon.log").read_text(encoding="utf-8")
    lines = [line for line in log.splitlines() if "out of service, taking no cash" in line]
    assert len(lines) == 1 and "journal" in lines[0]
    assert (state / "journal.sqlite3").read_bytes().startswith(b"this is not a journal")  # kept
