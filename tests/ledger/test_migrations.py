"""Opening a journal written by every earlier schema version."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from kioskd.ledger import Ledger, StorageError
from kioskd.ledger.audit import append_entry
from kioskd.ledger.schema import JOURNAL_FILE, LATEST_VERSION, MIGRATIONS, migrate, user_version
from tests.ledger.conftest import KIOSK, PIN_KEY, raw
from tests.service.notify_socket import NotifySocket

# SHA-256 of each landed migration's statements (joined by newlines): a journal made by any
# earlier kioskd was built by exactly these, and the start-up check compares its schema with them
LANDED = {
    1: "491830575977c302e58a467e343501c924713f758ab744a7c17d5d8364dcc04d",
    2: "94a15d395efcad161765a54bdab9c989da59cd536ac0e1bad112b8ecbf4f118c",
    3: "fefbb847d121dbff1fac5e38c6191da113cf4ade2017675953af83179a49654b",
    4: "daae071edbb91781bf1a2767fadd0c32853a6e22e217e904a122371e997fb98b",
    5: "b4b97895822b2050bad39b4b66ec3cf712e4f560fbd40cadfbd5e256a2160f69",
    6: "7e38f10606fcfe5ff3749837e2c49f6576dbccd822920dd76c10620cbe307624",
    7: "a436c38dde73162f568f0f5a1f34e2dbcfbf167c604b7b176bee24a8db483fd9",
    8: "9e2516a4e518d3403fdde176a61c312fd01c57d9c4eee5f4ea125ee64ca2171f",
    9: "4fc30f51966658223f86e4b99d5e3774217cbb3be12561b1ce252ce1944ef949",
    10: "eafdd0c7638a3df4365b020101005fe34ea249fa3209b015fe69942ca43cb049",
    11: "22ec2723b894837a074389368d5b8f1a759df02f5eff3e20c86e07041c896870",
    12: "48e1301326840e9f8fe07f1fd12600fff8af71d0ac3ed2aa95f17f44d16fa246",
    13: "64453de689158ce6f876259d8e21d3a1889fafe83771675dd8451fb8829faac4",
    14: "f7dbd03a77112e87512253017792dd29892131e0844f7b7baeb2ae0a0c3570cd",
    15: "5a52be21c9de4be4d21e48dbdf33dacd89d60525ed381cfcd7ed23efabf12cdb",
    16: "506fa4d961c1fa35f7516cefcb86ea96b12568c3712574e03e12efdf9e054444",
    17: "74f3fbd03d6cf52b7404d16b8f8936ddd2935e5f1484804d294ee7ecdab15809",
    18: "49448a379f63fe8167279cda8204f4694cd220370762462e363b77c6d0ea009c",
    19: "028f81b93accfd52f0c43f8bce8931dab1a8d17407ed3e7a2efbb628de5ed457",
    20: "d392d5bd07162e68a6a73c5dbb6a62c41e17153e3b0dbc9dcf40bdeca960f70c",
    21: "a910442f1da8098a5f19afe2b9b33fea2fe493280c8add53fd7fbf199d002ea3",
}


def test_landed_migrations_are_never_edited() -> None:
    """Moving a migration between modules keeps it byte for byte; a new one is appended (add its line)."""
    now = {v: hashlib.sha256("\n".join(MIGRATIONS[v - 1]).encode("utf-8")).hexdigest() for v in LANDED}
    assert now == LANDED


def _journal_at(state_dir: Path, version: int) -> None:
    """Write a journal file at schema `version`, with a paid txn when the schema has txns."""
    db = Database(state_dir / JOURNAL_FILE)
    migrate(db, target=version)
    if version >= 1:
        with db.atomic():
            db.execute("INSERT INTO meta VALUES ('kiosk_id', ?), ('currency', 'CNY')", (KIOSK,))
            db.execute(
                "INSERT INTO txns (id, account, holder, due, currency, state, started)"
                " VALUES ('old-txn', '0012345678', 'h', 100, 'CNY', 'open', '2024-01-01T00:00:00.000Z')"
            )
            db.execute(
                "INSERT INTO notes (txn, value, at, event) VALUES"
                " ('old-txn', 5000, '2024-01-01T00:00:05.000Z', 'credited')"
            )
            db.execute("UPDATE txns SET state = 'closed', ended = '2024-01-01T00:00:06.000Z'")
    db.close()


@pytest.mark.parametrize("version", range(LATEST_VERSION))
async def test_migrates_from_each_earlier_version(tmp_path: Path, version: int) -> None:
    _journal_at(tmp_path, version)
    ledger = await Ledger.open(tmp_path, KIOSK)
    conn = raw(tmp_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    conn.close()
    if version >= 1:
        old = await ledger.transaction("old-txn")
        assert old is not None and (old.seq, old.amount, old.state) == (1, 5000, "closed")
        assert await ledger.counters() == {5000: 1}
    # what the later migrations added works on the migrated file
    item = await ledger.outbox_put("payment", "old-txn", "jws")
    assert (await ledger.outbox_next("payment")).id == item  # type: ignore[union-attr]
    assert (await ledger.audit_append("migrated", {"from": version}))[0] == 1
    await ledger.close()


def test_each_migration_is_atomic(tmp_path: Path) -> None:
    db = Database(tmp_path / JOURNAL_FILE)
    migrate(db, target=1)
    db.execute("CREATE TABLE outbox (x)")  # makes migration 2 fail half-way
    with pytest.raises(sqlite3.OperationalError):
        migrate(db)
    assert user_version(db) == 1
    assert db["audit"].exists() is False
    db.close()


async def test_journal_from_a_newer_kioskd_is_refused(tmp_path: Path) -> None:
    _journal_at(tmp_path, LATEST_VERSION)
    conn = raw(tmp_path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer"):
        await Ledger.open(tmp_path, KIOSK)


async def test_technicians_become_staff_with_the_technician_role(tmp_path: Path) -> None:
    from kioskd.hall.accounts import Accounts
    from kioskd.ledger.custody import hash_pin

    _journal_at(tmp_path, 4)
    db = Database(tmp_path / JOURNAL_FILE)
    salt = bytes(16)
    with db.atomic():
        db.execute("INSERT INTO technicians (id, name, pin_hash, salt, failures, created) VALUES (?, ?, ?, ?, ?, ?)",
                   ("1001", "张伟", hash_pin("135790", salt, 2**10), salt.hex(), 2, "2024-01-01T00:00:00.000Z"))
    db.close()
    ledger = await Ledger.open(tmp_path, KIOSK, pin_key=PIN_KEY)
    assert await ledger.staff_key_old_hashes() == ["1001"]
    [member] = await ledger.staff_list()
    assert (member.id, member.name, member.role, member.enabled, member.failures) == (
        "1001", "张伟", "technician", True, 2)
    accounts = Accounts(ledger)
    wrong = await accounts.authenticate("1001", "000000", via="keypad")
    assert (wrong.reason, wrong.tries_left) == ("bad_secret", 2)  # the two failures before carried over
    person = await accounts.authenticate("1001", "135790", via="keypad")
    assert (person.id, person.role) == ("1001", "technician")
    await ledger.close()



async def test_the_audit_table_rebuilt_without_its_hash_index_keeps_every_entry_and_reference(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migration 17 drops the UNIQUE index on audit.hash by rebuilding the table: the same entries in
    the same chain, the register rows still refer to theirs, the append-only triggers still hold."""
    db = Database(tmp_path / JOURNAL_FILE)
    db.execute("PRAGMA foreign_keys = ON")
    migrate(db, target=16)
    with db.atomic():
        db.execute("INSERT INTO meta VALUES ('kiosk_id', ?), ('currency', 'CNY')", (KIOSK,))
        head = (0, "0" * 64)
        for n in range(1, 6):
            head = append_entry(db.conn, "patrol", {"no": n, "screen_ok": True}, head=head)
        db.execute("INSERT INTO register_records (kind, at, data, seq) VALUES ('patrol', 'x', '{}', 3)")
    before = db.execute("SELECT * FROM audit ORDER BY seq").fetchall()
    assert any(row[2] == 1 for row in db.execute("PRAGMA index_list(audit)"))  # the unique one
    db.close()

    systemd = NotifySocket(tmp_path / "notify")
    monkeypatch.setenv("NOTIFY_SOCKET", systemd.address)
    try:
        ledger = await Ledger.open(tmp_path, KIOSK)  # migrates to the latest with its foreign keys on
        # a year's chain takes a while to copy: systemd is told to wait longer than its start timeout
        await systemd.until(lambda: any(line.startswith("EXTEND_TIMEOUT_USEC=") for line in systemd.lines),
                            "the start timeout extended")
    finally:
        systemd.close()
    assert await ledger._run(lambda: ledger._db.execute("PRAGMA foreign_keys").fetchone()[0]) == 1  # on again
    assert await ledger.audit_verify() is None
    assert (await ledger.audit_append("after", {"n": 6}))[0] == 6
    await ledger.close()
    conn = raw(tmp_path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert conn.execute("SELECT * FROM audit WHERE seq <= 5 ORDER BY seq").fetchall() == before
        assert [row[1] for row in conn.execute("PRAGMA index_list(audit)")] == ["audit_kind"]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        with pytest.raises(sqlite3.IntegrityError):  # still a reference: no row for a missing entry
            conn.execute("INSERT INTO register_records (kind, at, data, seq) VALUES ('patrol', 'x', '{}', 99)")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit SET data = '{}' WHERE seq = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit WHERE seq = 5")
    finally:
        conn.close()
