"""The soak's memory tracing: off by default, on with KIOSKD_MEMTRACE_DIR, a snapshot per SIGUSR2."""

from __future__ import annotations

import asyncio
import signal
import tracemalloc
from pathlib import Path

import pytest

from kioskd.system import memtrace
from tests.daemon import STEP, start_kiosk


async def snapshots(folder: Path, count: int) -> list[Path]:
    """The snapshots in `folder` once there are `count` (polled: another process writes them)."""
    deadline = asyncio.get_running_loop().time() + STEP
    while len(found := await asyncio.to_thread(lambda: sorted(folder.glob("*.snapshot")))) < count:
        assert asyncio.get_running_loop().time() < deadline, f"waited {STEP}s for {count} snapshot(s)"
        await asyncio.sleep(0.1)
    return found


async def test_sigusr2_writes_a_snapshot_of_the_running_daemon(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "memtrace"
    monkeypatch.setenv(memtrace.ENV, str(folder))
    kiosk = await start_kiosk(tmp_path / "state")
    try:
        kiosk.proc.send_signal(signal.SIGUSR2)
        await snapshots(folder, 1)  # (two signals at once may arrive as one)
        kiosk.proc.send_signal(signal.SIGUSR2)
        first, second = await snapshots(folder, 2)
        assert await kiosk.press("0") is None  # still serving after the snapshots
    finally:
        assert await kiosk.stop() == 0
    traced = tracemalloc.Snapshot.load(str(second)).statistics("filename")
    files = {stat.traceback[0].filename for stat in traced}
    assert any(name.endswith("kioskd/app.py") for name in files)  # the daemon's own allocations
    assert first.name != second.name and not list(folder.glob("*.part"))


def test_off_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(memtrace.ENV, raising=False)
    assert memtrace.start() is False and memtrace.dump() is None
