"""What the soak's memory tracing reads outside Python's objects."""

from __future__ import annotations

from kioskd.system.memory import native_memory


def test_native_memory_sees_sqlite() -> None:
    import sqlite3

    before = native_memory()["sqlite_in_use"]
    db = sqlite3.connect(":memory:")
    db.execute("create table t (v blob)")
    db.executemany("insert into t values (?)", [(bytes(1000),) for _ in range(1000)])
    now = native_memory()
    assert now["sqlite_in_use"] > before + 500_000  # its pages, in its own malloc'd cache
    assert now["sqlite_peak"] >= now["sqlite_in_use"]  # the peak since the last look, at least what is held
    db.close()
