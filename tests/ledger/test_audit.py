"""The audit chain: each entry hashed over the previous hash; tampering is found."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kioskd.ledger import Ledger, LedgerError
from tests.ledger.conftest import raw


async def test_chain_links_each_entry_to_the_previous(ledger: Ledger, tmp_path: Path) -> None:
    assert await ledger.audit_head() == (0, "0" * 64)
    seq1, hash1 = await ledger.audit_append("custody_open", {"box": "BOX-A", "techs": ["t1", "t2"]})
    seq2, hash2 = await ledger.audit_append("count", {"counted": {"10000": 3}, "ok": True})
    assert (seq1, seq2) == (1, 2)
    assert await ledger.audit_head() == (2, hash2)
    assert await ledger.audit_verify() is None

    # recompute entry 2 independently: sha256(prev hex + canonical JSON of the entry)
    conn = raw(tmp_path)
    at = conn.execute("SELECT at FROM audit WHERE seq = 2").fetchone()[0]
    conn.close()
    entry = {"seq": 2, "at": at, "kind": "count", "data": {"counted": {"10000": 3}, "ok": True}}
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hash2 == hashlib.sha256((hash1 + canonical).encode()).hexdigest()


async def test_verify_names_the_first_tampered_entry(ledger: Ledger, tmp_path: Path) -> None:
    for i in range(5):
        await ledger.audit_append("alert", {"n": i})
    conn = raw(tmp_path)
    with pytest.raises(Exception, match="append-only"):
        conn.execute("UPDATE audit SET data = '{\"n\":99}' WHERE seq = 3")
    # someone with the file and sqlite3 drops the guard and rewrites history
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("UPDATE audit SET data = '{\"n\":99}' WHERE seq = 3")
    conn.close()
    assert await ledger.audit_verify() == 3


async def test_verify_finds_a_deleted_entry(ledger: Ledger, tmp_path: Path) -> None:
    for i in range(4):
        await ledger.audit_append("alert", {"n": i})
    conn = raw(tmp_path)
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE seq = 2")
    conn.close()
    assert await ledger.audit_verify() == 2  # the missing entry is the first bad one


async def test_floats_are_refused_in_audit_data(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="floats"):
        await ledger.audit_append("count", {"amount": 10.5})
    assert await ledger.audit_head() == (0, "0" * 64)
