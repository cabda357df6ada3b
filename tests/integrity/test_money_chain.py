"""Money rows edited in the journal file are caught by `kioskctl audit verify` and at start-up.

One real kiosk takes two payments; each test gets a copy of its state directory, edits it
the way someone with the file could (triggers dropped, rows changed, entries deleted, the
chain re-hashed without its checkpoints), and checks what staff and the backend see.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kioskd.ledger.audit import chain_hash
from tests.daemon import ROOT, start_kiosk

pytestmark = pytest.mark.slow

Tamper = Callable[[sqlite3.Connection], int | None]  # edits the file; returns the first bad entry


async def _take_two_payments(state: Path) -> None:
    kiosk = await start_kiosk(state)
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await kiosk.pay("0012345678", [10000, 500])
        await kiosk.press("cancel")
        await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
        await kiosk.pay("0023456789", [2000])
    finally:
        assert await kiosk.stop() == 0


@pytest.fixture(scope="module")
def paid_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state directory after two credited payments and a clean stop."""
    state = tmp_path_factory.mktemp("paid") / "state"
    asyncio.run(_take_two_payments(state))
    return state


@pytest.fixture
def state(paid_state: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "state"
    shutil.copytree(paid_state, copy, ignore=shutil.ignore_patterns("*.sock", "*.lock"))
    return copy


def kioskctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kioskd.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def file_conn(state: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(state / "journal.sqlite3"), isolation_level=None)


def entry_of(conn: sqlite3.Connection, kind: str, field: str, value: object) -> int:
    """The seq of the newest entry of `kind` whose data[field] is `value`."""
    return conn.execute(
        f"SELECT MAX(seq) FROM audit WHERE kind = ? AND json_extract(data, '$.{field}') = ?", (kind, value)
    ).fetchone()[0]


def without_trigger(conn: sqlite3.Connection, name: str, edit: str) -> None:
    """Drop a guard trigger, edit, and put the very same trigger back."""
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    conn.execute(f"DROP TRIGGER {name}")
    conn.execute(edit)
    conn.execute(sql)


def edit_note_value(conn: sqlite3.Connection) -> int:
    note = conn.execute("SELECT MIN(id) FROM notes").fetchone()[0]
    without_trigger(conn, "notes_no_update", f"UPDATE notes SET value = 50000 WHERE id = {note}")
    return entry_of(conn, "note", "note", note)


def edit_txn_amount(conn: sqlite3.Connection) -> int:
    txn = conn.execute("SELECT id FROM txns WHERE seq = 2").fetchone()[0]
    # amount and the notes together, so the amount still equals the sum of the notes
    without_trigger(conn, "notes_no_update", f"UPDATE notes SET value = 1000 WHERE txn = '{txn}'")
    without_trigger(conn, "txns_amount_is_sum", f"UPDATE txns SET amount = 1000 WHERE id = '{txn}'")
    return entry_of(conn, "note", "txn", txn)


def edit_counters(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE counters SET count = count + 3 WHERE value = 10000")  # no trigger guards it
    return None


def edit_txn_account(conn: sqlite3.Connection) -> int:
    txn = conn.execute("SELECT id FROM txns WHERE seq = 2").fetchone()[0]
    conn.execute(f"UPDATE txns SET account = '0099999999' WHERE id = '{txn}'")  # no trigger guards it
    return entry_of(conn, "txn_open", "txn", txn)


def edit_txn_ref(conn: sqlite3.Connection) -> int:
    txn = conn.execute("SELECT id FROM txns WHERE seq = 1").fetchone()[0]
    conn.execute(f"UPDATE txns SET ref = 'B-FORGED' WHERE id = '{txn}'")
    return entry_of(conn, "txn_state", "txn", txn)  # the latest state entry names the real ref


def add_unchained_note(conn: sqlite3.Connection) -> None:
    """A note row with no chain entry (its payment's amount and the box counters follow it)."""
    txn = conn.execute("SELECT id FROM txns WHERE seq = 2").fetchone()[0]
    without_trigger(conn, "notes_into_open", f"INSERT INTO notes (txn, value, at, event) VALUES ('{txn}', 100,"
                                             " '2024-01-01T00:00:00.000Z', 'credited')")
    return None


def delete_entry(conn: sqlite3.Connection) -> int:
    without_trigger(conn, "audit_no_delete", "DELETE FROM audit WHERE seq = 5")
    return 5


def rehash_without_checkpoints(conn: sqlite3.Connection) -> int:
    """Change a note and its entry, re-hash the whole chain, delete every checkpoint, restore triggers."""
    note = conn.execute("SELECT MIN(id) FROM notes").fetchone()[0]
    seq = entry_of(conn, "note", "note", note)
    data = json.loads(conn.execute("SELECT data FROM audit WHERE seq = ?", (seq,)).fetchone()[0])
    data["value"] = 50000
    triggers = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
    for name in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute(f"UPDATE notes SET value = 50000 WHERE id = {note}")
    conn.execute("UPDATE audit SET data = ? WHERE seq = ?",
                 (json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False), seq))
    prev = "0" * 64
    for s, at, kind, text in conn.execute("SELECT seq, at, kind, data FROM audit ORDER BY seq").fetchall():
        digest = chain_hash(prev, {"seq": s, "at": at, "kind": kind, "data": json.loads(text)})
        conn.execute("UPDATE audit SET prev = ?, hash = ? WHERE seq = ?", (prev, digest, s))
        prev = digest
    conn.execute("DELETE FROM audit_checkpoints")
    for sql in triggers.values():
        conn.execute(sql)
    # the first restart entry was signed at once: it is the first one left uncovered
    return conn.execute("SELECT MIN(seq) FROM audit WHERE kind = 'restart'").fetchone()[0]


TAMPERS: dict[str, Tamper] = {
    "a note's value (trigger put back)": edit_note_value,
    "a payment's amount with its notes": edit_txn_amount,
    "the box counters": edit_counters,
    "a payment's account": edit_txn_account,
    "a payment's reference": edit_txn_ref,
    "a note without its entry": add_unchained_note,
    "a deleted chain entry": delete_entry,
    "a re-hashed chain without checkpoints": rehash_without_checkpoints,
}


def test_an_untouched_journal_verifies(state: Path) -> None:
    result = kioskctl("audit", "verify", "--state", str(state), "--lang", "en")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "audit chain intact" in result.stdout
    with file_conn(state) as conn:
        kinds = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM audit")}
    # every money fact is in the chain
    assert {"txn_open", "note", "txn_state"} <= kinds


@pytest.mark.parametrize("name", TAMPERS)
def test_audit_verify_names_the_first_bad_entry(state: Path, name: str) -> None:
    conn = file_conn(state)
    first_bad = TAMPERS[name](conn)
    conn.close()
    result = kioskctl("audit", "verify", "--state", str(state), "--lang", "en")
    assert result.returncode == 1, result.stdout + result.stderr
    if first_bad is None:
        assert "counters" in result.stdout or "has no chain entry" in result.stdout, result.stdout
    else:
        assert f"first bad entry: {first_bad}:" in result.stdout, result.stdout


@pytest.mark.parametrize("name", ["a note's value (trigger put back)", "a deleted chain entry",
                                  "a re-hashed chain without checkpoints", "the box counters"])
async def test_a_tampered_journal_keeps_the_kiosk_out_of_service(state: Path, tmp_path: Path, name: str) -> None:
    conn = file_conn(state)
    first_bad = TAMPERS[name](conn)
    signed_before = conn.execute("SELECT COUNT(*) FROM audit_checkpoints").fetchone()[0]
    conn.close()
    kiosk = await start_kiosk(state)
    try:
        snap = await kiosk.until(lambda s: s.get("state") == "unavailable", "out of service")
        assert snap["unavailable"] == {"reason": "storage"}
    finally:
        assert await kiosk.stop() == 0
    log = (tmp_path / "daemon.log").read_text(encoding="utf-8")
    lines = [line for line in log.splitlines() if "out of service, taking no cash" in line]
    assert len(lines) == 1, log
    if first_bad is not None:
        assert f"first bad entry: {first_bad}" in lines[0]
    with file_conn(state) as conn:  # no checkpoint was signed over the forged chain
        assert conn.execute("SELECT COUNT(*) FROM audit_checkpoints").fetchone()[0] == signed_before
    with sqlite3.connect(state / "backend.sqlite3") as backend:
        codes = [c for (c,) in backend.execute("SELECT code FROM alerts WHERE state = 'raised'")]
    assert "journal_tampered" in codes


def test_restore_refuses_a_tampered_backup(state: Path, tmp_path: Path) -> None:
    conf = tmp_path / "kiosk.toml"
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(state / "kiosk.key", target / "kiosk.key")
    conf.write_text(text.replace('path = "var/sim"', f'path = "{target}"'), encoding="utf-8")
    conn = file_conn(state)
    edit_note_value(conn)
    conn.close()
    result = kioskctl("restore", str(state / "journal.sqlite3"), "--config", str(conf))
    assert result.returncode == 1, result.stdout + result.stderr
    # in the staff's language: the note whose value was edited, table against chain
    assert "未通过完整性检查：审计链被改动，第一个有问题的条目 6：纸币 1 与审计链不符（value：账本中为 50000，审计链中为 10000）" \
        in result.stderr, result.stderr
    assert not (target / "journal.sqlite3").exists()
