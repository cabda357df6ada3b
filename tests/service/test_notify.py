"""sd_notify over path and abstract sockets, WATCHDOG_USEC parsing, and the watchdog's rule."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from kioskd.system.notify import notify, watchdog_seconds
from kioskd.system.watchdog import Watchdog, heartbeat_probe, task_probe
from tests.service.notify_socket import NotifySocket


@pytest.mark.parametrize("kind", ["path", "abstract"])
async def test_notify_reaches_the_socket(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sock = NotifySocket(tmp_path / "notify" if kind == "path" else None)
    monkeypatch.setenv("NOTIFY_SOCKET", sock.address)
    try:
        assert notify("READY=1", "STATUS=service_idle")
        await sock.until(lambda: "STATUS=service_idle" in sock.lines, "the status line")
        assert sock.messages == [["READY=1", "STATUS=service_idle"]]  # one datagram
    finally:
        sock.close()


def test_notify_without_systemd_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify("READY=1") is False


def test_notify_to_a_vanished_socket_does_not_raise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    assert notify("WATCHDOG=1") is False


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [("30000000", None, 30.0), ("30000000", "self", 30.0), ("30000000", "1", None),
     ("0", None, None), ("", None, None), ("junk", None, None)],
)
def test_watchdog_seconds(usec: str, pid: str | None, expected: float | None,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid is None:
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
    else:
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()) if pid == "self" else pid)
    assert watchdog_seconds() == expected


async def test_watchdog_pings_only_while_every_probe_is_healthy() -> None:
    sent: list[str] = []
    device = SimpleNamespace(last_progress=time.monotonic())
    forever = asyncio.get_running_loop().create_future()
    task = asyncio.ensure_future(forever)
    dog = Watchdog(8.0, [heartbeat_probe("validator poll", device, 4.0), task_probe("printer", task)],
                   send=lambda *lines: sent.extend(lines) or True)

    assert dog.tick() and sent == ["WATCHDOG=1"]

    device.last_progress -= 5.0  # the poll loop has not come round for 5 s
    assert not dog.tick()
    assert sent[-1].startswith("STATUS=stalled: validator poll no progress for 5.")
    assert not dog.tick() and sent.count("WATCHDOG=1") == 1  # the stall is said once

    device.last_progress = time.monotonic() + 1.0  # a back-off wait stamped ahead is progress
    assert dog.tick() and sent.count("WATCHDOG=1") == 2

    task.cancel()  # a device task that ended polls nothing
    await asyncio.gather(task, return_exceptions=True)
    assert not dog.tick() and sent[-1] == "STATUS=stalled: printer task ended"
