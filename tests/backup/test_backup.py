"""kioskctl backup while the kiosk runs, and restore of that copy."""

from __future__ import annotations

import json
import os
import pwd
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.daemon import ROOT, start_kiosk

pytestmark = pytest.mark.slow


def kioskctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kioskd.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


async def test_a_backup_taken_while_running_restores_the_payments(tmp_path: Path) -> None:
    state = tmp_path / "state"
    conf = tmp_path / "kiosk.toml"
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    conf.write_text(text.replace('path = "var/sim"', f'path = "{state}"'), encoding="utf-8")
    kiosk = await start_kiosk(state, "--config", str(conf))
    await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
    await kiosk.pay("0012345678", [10000, 500])
    backup = kioskctl("backup", str(tmp_path / "copy.sqlite3"), "--config", str(conf), "--json")
    assert backup.returncode == 0, backup.stderr
    assert json.loads(backup.stdout) == {"ok": True, "written": str(tmp_path / "copy.sqlite3"),
                                         "summary": "1 payments (last seq 1), 10500 fen"}
    await kiosk.press("cancel")  # leave the result screen (any key)
    await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
    await kiosk.pay("0012345678", [2000])  # after the backup: not in the copy
    assert await kiosk.stop() == 0

    restore = kioskctl("restore", str(tmp_path / "copy.sqlite3"), "--config", str(conf), "--json")
    assert restore.returncode == 0, restore.stderr
    done = json.loads(restore.stdout)
    assert (done["ok"], done["summary"]) == (True, "1 payments (last seq 1), 10500 fen")
    kept = list(state.glob("journal.sqlite3.before-restore-*"))
    assert [p.name.endswith("-wal") or p.name.endswith("-shm") for p in kept].count(False) == 1
    assert done["kept"] == str(next(p for p in kept if p.name.endswith("Z")))
    # the restore names who did it, as an installer's other changes to the journal do
    with sqlite3.connect(state / "journal.sqlite3") as db:
        kind, data = db.execute("SELECT kind, data FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    entry = json.loads(data)
    me = f"{pwd.getpwuid(os.getuid()).pw_name} (uid {os.getuid()})"
    assert (kind, entry["by"], entry["by_name"], entry["uid"]) == ("restore", "installer", me, os.getuid())


def test_restore_refuses_a_file_that_is_not_a_journal(tmp_path: Path) -> None:
    conf = tmp_path / "kiosk.toml"
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    conf.write_text(text.replace('path = "var/sim"', f'path = "{tmp_path / "state"}"'), encoding="utf-8")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = kioskctl("restore", str(junk), "--config", str(conf), "--lang", "en")
    assert result.returncode == 1
    assert "is not a usable journal" in result.stderr
