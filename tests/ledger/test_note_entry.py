"""A note's chain entry, built directly on the hot path, is byte for byte its canonical JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kioskd.ledger import Ledger, LedgerError
from kioskd.ledger.audit import canonical_json, note_data_json
from statemachine.ports import AccountInfo
from tests.ledger.conftest import credit, raw

SAFE = 2**53 - 1
ints = st.integers(min_value=-SAFE, max_value=SAFE)


@given(note=ints, value=ints, seq=st.none() | ints, txn=st.text(), at=st.text(), event=st.text())
def test_the_direct_text_is_the_canonical_json(note: int, value: int, seq: int | None, txn: str, at: str,
                                               event: str) -> None:
    try:
        expected = canonical_json({"note": note, "txn": txn, "value": value, "at": at, "event": event, "seq": seq})
    except LedgerError:
        expected = None  # refused on both paths (a string UTF-8 cannot carry is refused when hashed)
    if expected is not None:
        assert note_data_json(note, txn, value, at, event, seq) == expected


@pytest.mark.parametrize("odd", [{"note": 2**53}, {"value": True}, {"seq": 1.0}, {"txn": None}])
def test_what_canonical_json_refuses_or_spells_otherwise_takes_its_path(odd: dict) -> None:
    fields = {"note": 1, "txn": "t", "value": 1000, "at": "2026-12-03T00:00:00.000Z", "event": "credited",
              "seq": 1, **odd}
    try:
        expected = canonical_json(fields)
    except LedgerError:
        with pytest.raises(LedgerError):
            note_data_json(**fields)
    else:
        assert note_data_json(**fields) == expected


async def test_a_credited_notes_entry_carries_the_notes_own_time(ledger: Ledger, tmp_path: Path) -> None:
    txn = await ledger.open_payment(AccountInfo("0012345678", "张*明", 0, 0, "CNY", 100, 500000))
    await credit(ledger, txn, 2000)
    conn = raw(tmp_path)
    try:
        note_at = conn.execute("SELECT at FROM notes").fetchone()[0]
        entry_at, data = conn.execute("SELECT at, data FROM audit WHERE kind = 'note'").fetchone()
    finally:
        conn.close()
    assert entry_at == note_at and json.loads(data)["at"] == note_at
    assert await ledger.audit_verify() is None
