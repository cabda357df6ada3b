"""Tampering with the journal file directly is caught by `kioskctl audit verify` and the backend witness."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kioskd.cli.audit import signature_checker
from kioskd.cli.main import main as kioskctl
from kioskd.custody.session import key_signer
from kioskd.ledger import Ledger
from kioskd.ledger.audit import chain_hash
from kioskd.ledger.integrity import shipped_schema
from refbackend.rules import batch_verdict
from tests.ledger.conftest import KIOSK, raw


async def write_chain(state: Path, key: Ed25519PrivateKey) -> tuple[int, str]:
    """Twelve entries: a custody session end at 6 with its checkpoint at 7, and a checkpoint at the head (12)."""
    ledger = await Ledger.open(state, KIOSK)
    for i in range(1, 6):
        await ledger.audit_append("custody_step", {"n": i, "tech": "1001"})
    await ledger.audit_append_checkpointed("custody_end", {"outcome": "match"}, key_signer(key))
    for i in range(7, 11):
        await ledger.audit_append("reprint", {"n": i})
    await ledger.audit_checkpoint(key_signer(key))
    head = await ledger.audit_head()
    await ledger.close()
    return head


def save_key(state: Path, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(state / "kiosk.key", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, pem)
    os.close(fd)


GUARDS = ("audit_no_update", "audit_no_delete")


def attacker(state: Path) -> sqlite3.Connection:
    """Someone with the file: drops the append-only triggers first."""
    conn = raw(state)
    for trigger in GUARDS:
        conn.execute(f"DROP TRIGGER {trigger}")
    return conn


def put_guards_back(conn: sqlite3.Connection) -> None:
    """A careful attacker recreates the dropped triggers exactly as shipped."""
    shipped = {name: sql for kind, name, _, sql in shipped_schema() if kind == "trigger"}
    for trigger in GUARDS:
        conn.execute(shipped[trigger])


def edit_field(conn: sqlite3.Connection) -> None:
    conn.execute("""UPDATE audit SET data = '{"n":3,"tech":"1003"}' WHERE seq = 3""")


def delete_row(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit WHERE seq = 3")


def swap_rows(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit SET seq = 1000 WHERE seq = 3")
    conn.execute("UPDATE audit SET seq = 3 WHERE seq = 4")
    conn.execute("UPDATE audit SET seq = 4 WHERE seq = 1000")


def truncate_tail(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit WHERE seq > 8")


def rehash_suffix(conn: sqlite3.Connection) -> None:
    """Rewrite entry 3 and re-hash everything after it: the chain alone looks fine again."""
    edit_field(conn)
    rows = conn.execute("SELECT seq, at, kind, data FROM audit WHERE seq >= 3 ORDER BY seq").fetchall()
    prev = conn.execute("SELECT hash FROM audit WHERE seq = 2").fetchone()[0]
    for seq, at, kind, data in rows:
        digest = chain_hash(prev, {"seq": seq, "at": at, "kind": kind, "data": json.loads(data)})
        conn.execute("UPDATE audit SET prev = ?, hash = ? WHERE seq = ?", (prev, digest, seq))
        prev = digest


def rehash_and_drop_checkpoints(conn: sqlite3.Connection) -> None:
    """Also remove the checkpoints that would give the rewrite away."""
    rehash_suffix(conn)
    conn.execute("DROP TRIGGER audit_checkpoints_no_delete")
    conn.execute("DELETE FROM audit_checkpoints")


TAMPERS = {
    "edit a field": (edit_field, 3),
    "delete a row": (delete_row, 3),
    "swap two rows": (swap_rows, 3),
    "truncate the tail": (truncate_tail, 9),
    "re-hash a suffix without the key": (rehash_suffix, 1),
    # the checkpoint entries stay, unsigned; with no signature left nothing is covered
    "re-hash and drop the checkpoints": (rehash_and_drop_checkpoints, 1),
}


async def verify(state: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    """Run `kioskctl audit verify` (its own asyncio.run, so in a thread) and capture what it prints."""
    code = await asyncio.to_thread(kioskctl, ["audit", "verify", "--state", str(state), "--lang", "en", *extra])
    return code, capsys.readouterr().out


async def test_an_untouched_chain_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = Ed25519PrivateKey.generate()
    save_key(tmp_path, key)
    await write_chain(tmp_path, key)
    code, out = await verify(tmp_path, capsys)
    assert code == 0, out
    assert "audit chain intact: 12 entries" in out


@pytest.mark.parametrize("name", TAMPERS)
async def test_tampering_is_named_by_audit_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  name: str) -> None:
    key = Ed25519PrivateKey.generate()
    save_key(tmp_path, key)
    await write_chain(tmp_path, key)
    tamper, first_bad = TAMPERS[name]
    conn = attacker(tmp_path)
    tamper(conn)
    conn.close()
    code, out = await verify(tmp_path, capsys)
    assert code == 1, out
    assert f"first bad entry: {first_bad}:" in out, out


async def test_a_checkpoint_signed_by_another_key_is_refused(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    key = Ed25519PrivateKey.generate()
    save_key(tmp_path, key)
    await write_chain(tmp_path, Ed25519PrivateKey.generate())
    code, out = await verify(tmp_path, capsys)
    assert code == 1 and "bad signature" in out


async def test_truncation_after_the_last_checkpoint_is_caught_by_the_witnessed_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = Ed25519PrivateKey.generate()
    save_key(tmp_path, key)
    await write_chain(tmp_path, key)
    ledger = await Ledger.open(tmp_path, KIOSK)
    await ledger.audit_append("reprint", {"n": 13})
    await ledger.audit_append("reprint", {"n": 14})
    witnessed = await ledger.audit_head()  # went to the backend in a batch
    await ledger.close()
    conn = attacker(tmp_path)
    conn.execute("DELETE FROM audit WHERE seq > 12")  # back to the last checkpoint: locally invisible
    put_guards_back(conn)
    conn.close()
    assert (await verify(tmp_path, capsys))[0] == 0
    code, out = await verify(tmp_path, capsys, "--witness", f"{witnessed[0]}:{witnessed[1]}")
    assert code == 1 and "first bad entry: 14:" in out
    code, out = await verify(tmp_path, capsys, "--witness", f"{witnessed[0]}:{witnessed[1]}", "--json")
    verdict = json.loads(out)  # the same verdict for a script (cron, monitoring)
    assert code == 1 and (verdict["ok"], verdict["entries"], verdict["problems"][0]["seq"]) == (False, 12, 14)
    assert verdict["checkpoint"]["seq"] <= 12

    # the reference backend refuses the next batch of the rewound kiosk
    ledger = await Ledger.open(tmp_path, KIOSK)
    await ledger.audit_append("reprint", {"n": 13})
    rewound = await ledger.audit_head()  # seq 13, a different hash
    problems = await ledger.audit_check(signature_checker(key.public_key()), witnessed)
    await ledger.close()
    assert problems and problems[0].seq == 14  # the witnessed entry is gone
    status, body = batch_verdict(2, "0" * 64, "d" * 64, {"seq": rewound[0], "hash": rewound[1]},
                                 (1, "0" * 64), None, witnessed)
    assert (status, body["error"]) == (409, "fork")


async def test_a_rewritten_suffix_is_refused_by_the_backend_witness(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    head = await write_chain(tmp_path, key)
    conn = attacker(tmp_path)
    rehash_suffix(conn)
    conn.close()
    ledger = await Ledger.open(tmp_path, KIOSK)
    new_head = await ledger.audit_head()
    await ledger.close()
    assert new_head[0] == head[0] and new_head[1] != head[1]
    status, body = batch_verdict(2, "0" * 64, "d" * 64, {"seq": new_head[0], "hash": new_head[1]},
                                 (1, "0" * 64), None, head)
    assert (status, body["error"]) == (409, "fork")

