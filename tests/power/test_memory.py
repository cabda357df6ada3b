"""Weeks of uptime: memory malloc holds free after a day's work goes back to the system."""

from __future__ import annotations

from kioskd.system.memory import give_back_free_memory, native_memory, resident_bytes


def test_freed_memory_that_malloc_holds_is_given_back() -> None:
    # a day's allocations, freed but for a few that stay (a heap with holes cannot shrink
    # from its top): RSS stays up until the holes' pages are given back
    blocks = [bytearray(4000) for _ in range(20_000)]  # 80 MB in malloc'd blocks, pages touched
    kept = blocks[::50]
    del blocks
    held = native_memory()["malloc_free_held"]
    before = resident_bytes()
    given = give_back_free_memory()
    assert held > 60e6 and given > 50e6 and resident_bytes() < before - 50e6
    assert len(kept) == 400  # still ours, untouched


def test_native_memory_sees_sqlite() -> None:
    import sqlite3

    before = native_memory()["sqlite_in_use"]
    db = sqlite3.connect(":memory:")
    db.execute("create table t (v blob)")
    db.executemany("insert into t values (?)", [(bytes(1000),) for _ in range(1000)])
    assert native_memory()["sqlite_in_use"] > before + 500_000  # its pages, in its own malloc'd cache
    db.close()
