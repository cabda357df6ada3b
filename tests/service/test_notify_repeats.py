"""A STATUS= line systemd already shows is not sent again; a change, or anything else, always is."""

from __future__ import annotations

from pathlib import Path

import pytest

from kioskd.system.notify import notify
from tests.service.notify_socket import NotifySocket


async def test_repeated_status_is_one_datagram_and_changes_always_go_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock = NotifySocket(tmp_path / "notify")
    monkeypatch.setenv("NOTIFY_SOCKET", sock.address)
    try:
        for status in ("idle", "idle", "payment accepting cash (0 fen)", "payment accepting cash (0 fen)",
                       "stalled: validator poll", "payment accepting cash (0 fen)"):
            assert notify(f"STATUS={status}")
        assert notify("WATCHDOG=1") and notify("WATCHDOG=1")  # pings are never held back
        await sock.until(lambda: sock.count("WATCHDOG=1") == 2, "both pings")
        assert sock.statuses() == ["idle", "payment accepting cash (0 fen)", "stalled: validator poll",
                                   "payment accepting cash (0 fen)"]
    finally:
        sock.close()


async def test_a_new_socket_gets_the_status_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = NotifySocket(tmp_path / "one"), NotifySocket(tmp_path / "two")
    try:
        for sock in (first, second):
            monkeypatch.setenv("NOTIFY_SOCKET", sock.address)
            assert notify("STATUS=service_idle")
            await sock.until(lambda s=sock: s.statuses() == ["service_idle"], "the status line")
    finally:
        first.close()
        second.close()
