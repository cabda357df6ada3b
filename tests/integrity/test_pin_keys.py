"""PIN hashes are keyed with a secret derived from the kiosk key: a backup alone gives no PIN away.

A journal from before the key holds a technician's plain scrypt hash; the daemon upgrades it
without knowing the PIN, still lets the technician in, and a backup then holds nothing an
offline search over PINs can test.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlite_utils import Database

from kioskd.ledger.custody import hash_pin
from kioskd.ledger.schema import JOURNAL_FILE, PINS_KEYED_VERSION, migrate
from tests.daemon import ROOT, start_kiosk
from tests.staff.test_identity import kioskctl

PIN = "135790"
WEAK_N = 2**10  # a cheap scrypt cost, so the offline search below is quick


def old_journal(state: Path, salt: bytes) -> None:
    """A journal as kioskd wrote it before PIN keys: one technician, a plain scrypt hash."""
    state.mkdir()
    db = Database(state / JOURNAL_FILE)
    migrate(db, target=PINS_KEYED_VERSION - 1)
    with db.atomic():
        db.execute("INSERT INTO meta VALUES ('kiosk_id', 'K-SIM-01'), ('currency', 'CNY')")
        db.execute("INSERT INTO staff (id, name, role, pin_hash, salt, created) VALUES (?, ?, ?, ?, ?, ?)",
                   ("1001", "张伟", "technician", hash_pin(PIN, salt, WEAK_N), salt.hex(),
                    "2024-01-01T00:00:00.000Z"))
    db.close()


def offline_search(backup: Path, candidates: range) -> list[str]:
    """What someone holding only the backup finds: each candidate PIN hashed as the file says."""
    conn = sqlite3.connect(backup)
    [(stored, salt)] = conn.execute("SELECT pin_hash, salt FROM staff WHERE id = '1001'").fetchall()
    conn.close()
    found = []
    for candidate in (f"{n:06d}" for n in candidates):
        fresh = hash_pin(candidate, bytes.fromhex(salt), WEAK_N)
        if fresh == stored or fresh.rsplit("$", 1)[1] in stored:
            found.append(candidate)
    return found


async def test_a_backup_alone_gives_no_pin_away_and_old_hashes_still_let_staff_in(tmp_path: Path) -> None:
    state, salt = tmp_path / "state", os.urandom(16)
    old_journal(state, salt)
    kiosk = await start_kiosk(state)
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        socket = str(state / "control.sock")
        code, me = await asyncio.to_thread(kioskctl, socket, "whoami", "--as", "1001", "--secret-stdin",
                                           secret=PIN)
        assert code == 0 and me["person"]["label"] == "1001 张伟", me
        code, refused = await asyncio.to_thread(kioskctl, socket, "whoami", "--as", "1001", "--secret-stdin",
                                                secret="135791")
        assert code == 1 and "tries left" in refused["error"]
        backup = tmp_path / "backup.sqlite3"
        done = await asyncio.to_thread(kioskctl_backup, state, backup)
        assert done.returncode == 0, done.stderr
    finally:
        await kiosk.stop()
    # the search covers the technician's real PIN: against the plain hash it finds it at once
    window = range(int(PIN) - 300, int(PIN) + 300)
    assert offline_search(backup, window) == []
    raw = backup.read_bytes()
    assert hash_pin(PIN, salt, WEAK_N).rsplit("$", 1)[1].encode() not in raw  # not even hidden inside
    conn = sqlite3.connect(backup)
    [data] = conn.execute("SELECT data FROM audit WHERE kind = 'staff_pins_keyed'").fetchone()
    conn.close()
    assert '"staff":["1001"]' in data.replace(" ", "")


def kioskctl_backup(state: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kioskd.cli.main", "backup", str(dest), "--config",
                           str(ROOT / "config" / "simulate.toml"), "--state", str(state)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
