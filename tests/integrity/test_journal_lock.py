"""The journal lock: no restore under a running kiosk, no kiosk during a restore."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kioskd.ledger.lock import JournalLock
from tests.daemon import ROOT, start_kiosk

pytestmark = pytest.mark.slow


def kioskctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kioskd.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def write_config(tmp_path: Path) -> tuple[Path, Path]:
    state = tmp_path / "state"
    conf = tmp_path / "kiosk.toml"
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    conf.write_text(text.replace('path = "var/sim"', f'path = "{state}"'), encoding="utf-8")
    return state, conf


def payments(state: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(state / "journal.sqlite3") as conn:
        return conn.execute("SELECT seq, amount FROM txns WHERE seq IS NOT NULL ORDER BY seq").fetchall()


async def test_restore_is_refused_while_the_kiosk_runs_and_works_once_it_stopped(tmp_path: Path) -> None:
    state, conf = write_config(tmp_path)
    kiosk = await start_kiosk(state, "--config", str(conf))
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await kiosk.pay("0012345678", [10000])
        backup = await asyncio.to_thread(kioskctl, "backup", str(tmp_path / "copy.sqlite3"), "--config", str(conf))
        assert backup.returncode == 0, backup.stderr
        assert stat.S_IMODE(os.stat(tmp_path / "copy.sqlite3").st_mode) == 0o600  # PIN hashes inside
        await kiosk.press("cancel")
        await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
        await kiosk.pay("0012345678", [2000])

        refused = await asyncio.to_thread(kioskctl, "restore", str(tmp_path / "copy.sqlite3"), "--config", str(conf),
                                          "--lang", "en")
        assert refused.returncode == 1
        assert "is held" in refused.stderr and "stop kioskd first" in refused.stderr
        assert list(state.glob("journal.sqlite3.before-restore-*")) == []  # nothing moved

        await kiosk.press("cancel")  # the kiosk goes on serving on its own journal
        await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
        await kiosk.pay("0023456789", [500])
    finally:
        assert await kiosk.stop() == 0
    assert payments(state) == [(1, 10000), (2, 2000), (3, 500)]

    restored = kioskctl("restore", str(tmp_path / "copy.sqlite3"), "--config", str(conf))
    assert restored.returncode == 0, restored.stderr
    assert payments(state) == [(1, 10000)]
    assert stat.S_IMODE(os.stat(state / "journal.sqlite3").st_mode) == 0o600
    with sqlite3.connect(state / "journal.sqlite3") as conn:
        kind, data = conn.execute("SELECT kind, data FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    assert kind == "restore" and f'"uid":{os.getuid()}' in data


def test_the_kiosk_does_not_start_while_a_restore_holds_the_journal(tmp_path: Path) -> None:
    state, conf = write_config(tmp_path)
    with JournalLock(state):
        run = subprocess.run([sys.executable, "-m", "kioskd", "run", "--simulate", "--config", str(conf),
                              "--listen", "127.0.0.1:0"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "journal lock" in run.stderr and "is held" in run.stderr
    assert not (state / "journal.sqlite3").exists()  # it did not touch the journal
