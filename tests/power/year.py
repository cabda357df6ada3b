"""A journal holding a year of payments (one a minute), built in bulk, and a start on it."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

from bench._kiosk import KIOSK, BenchKiosk
from kioskd.ledger import Ledger

YEAR = 525_600  # payments: one a minute


def fill(path: Path, payments: int) -> None:
    """Add `payments` credited one-note payments through the schema's own triggers."""
    db = sqlite3.connect(path)
    with db:
        db.execute("""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO txns (id, account, holder, due, currency, state, started)
            SELECT printf('year-%07d', i), '0012345678', '张*明', 12350, 'CNY', 'open',
                   strftime('%Y-%m-%dT%H:%M:%fZ', '2025-01-01', printf('+%d minutes', i)) FROM n""",
                   (payments,))
        db.execute("""INSERT INTO notes (txn, value, at, event)
            SELECT id, 10000, started, 'stacked' FROM txns WHERE id LIKE 'year-%' ORDER BY id""")
        db.execute("UPDATE txns SET state = 'closed', ended = started WHERE id LIKE 'year-%'")
        db.execute("""UPDATE txns SET state = 'credited', balance = 0, ref = 'B-' || seq,
            payload = 'x' WHERE id LIKE 'year-%'""")
        # boxes are emptied every few days: the last one just now (else every start would
        # count a year of notes as in the box)
        db.execute("""INSERT INTO box_changes (box_id, at, last_note, counts)
            SELECT 'year', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), MAX(id), '{}' FROM notes""")
        db.execute("UPDATE counters SET count = 0")
        # and they went to the backend in the daily batches
        db.execute("INSERT OR REPLACE INTO meta (key, value) SELECT 'batched_payment_seq', MAX(seq) FROM txns")
    db.close()


def quick_check_seconds(path: Path) -> float:
    db = sqlite3.connect(path)
    t0 = time.perf_counter()
    verdict = db.execute("PRAGMA quick_check").fetchone()[0]
    took = time.perf_counter() - t0
    db.close()
    assert verdict == "ok", verdict
    return took


async def year_journal(payments: int = YEAR) -> tuple[float, float, int]:
    """(quick_check seconds, start to READY=1 seconds, journal bytes) with `payments` in it."""
    with tempfile.TemporaryDirectory(prefix="kioskd-year-") as tmp:
        bench = BenchKiosk(Path(tmp))
        await bench.setup()
        state = bench.root / "state"
        ledger = await Ledger.open(state, KIOSK)
        await ledger.close()
        await asyncio.to_thread(fill, state / "journal.sqlite3", payments)
        check = await asyncio.to_thread(quick_check_seconds, state / "journal.sqlite3")
        size = (state / "journal.sqlite3").stat().st_size
        try:
            ready = await bench.launch()
        finally:
            await bench.stop()
    return check, ready, size
