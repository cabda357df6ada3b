"""Custody sessions kept as their batches are filed: each kiosk's last one, and a store from before the table."""

from __future__ import annotations

from pathlib import Path

from refbackend.store import open_store
from refbackend.testbed.kiosks import SimKiosk, ago


def test_sessions_are_kept_as_filed_and_an_older_store_gets_them_from_its_audit_records(db_target: Path | str) -> None:
    store = open_store(db_target)
    try:
        kiosks = [SimKiosk("K-1", "H-1"), SimKiosk("K-2", "H-1")]
        for n, (k, counted) in enumerate([(kiosks[0], 5), (kiosks[0], 6), (kiosks[1], 7)]):
            payload, token = k.custody_batch(f"S-{n}", ago(days=3), {5000: 6}, {5000: counted},
                                             ago(hours=10 - n), ago(hours=10 - n))
            assert store.apply_batch(k.kid, payload, token, ago(hours=9 - n))[0] == 200
        last = store.custody_sessions(last_only=True)
        assert [(s["kiosk"], s["session"], s["expected"], s["counted"]) for s in last] == [
            ("K-1", "S-1", 30000, 30000), ("K-2", "S-2", 30000, 35000)]
        assert [s["outcome"] for s in store.custody_sessions(kiosk="K-1")] == ["mismatch", "match"]
        with store.transaction() as sql:  # as a store made before custody_sessions existed
            sql.run("DELETE FROM custody_sessions")
    finally:
        store.close()
    reopened = open_store(db_target)
    try:
        assert [s["session"] for s in reopened.custody_sessions()] == ["S-0", "S-1", "S-2"]
    finally:
        reopened.close()
