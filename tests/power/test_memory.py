"""What the soak's memory tracing reads outside Python's objects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# SQLite's counters are process-wide: in a test worker, another test's ledger thread may free its
# cache between the two looks, so the looks are taken in a process of their own.
_PROBE = """
import json, sqlite3
from kioskd.system.memory import native_memory
before = native_memory()["sqlite_in_use"]
db = sqlite3.connect(":memory:")
db.execute("create table t (v blob)")
db.executemany("insert into t values (?)", [(bytes(1000),) for _ in range(1000)])
print(json.dumps({"before": before, **native_memory()}))
"""


def test_native_memory_sees_sqlite() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=REPO, capture_output=True, text=True, check=True)
    now = json.loads(out.stdout)
    assert now["sqlite_in_use"] > now["before"] + 500_000  # its pages, in its own malloc'd cache
    assert now["sqlite_peak"] >= now["sqlite_in_use"]  # the peak since the last look, at least what is held
