"""Opt-in memory tracing for soaks: KIOSKD_MEMTRACE_DIR set, SIGUSR2 writes a tracemalloc snapshot.

    KIOSKD_MEMTRACE_DIR=/some/dir kioskd run ...   # tracing on (slower, more memory)
    kill -USR2 <pid>                                 # -> /some/dir/memtrace-<pid>-<n>.snapshot

`tracemalloc.Snapshot.load(path)` reads a snapshot back; `bench.soak --memtrace` diffs the
first day's against the last day's and prints the lines that grew. Off (and no signal
handler installed) unless the variable is set: a kiosk in a hall never traces.
"""

from __future__ import annotations

import json
import logging
import os
import tracemalloc
from pathlib import Path

from kioskd.system.memory import native_memory

ENV = "KIOSKD_MEMTRACE_DIR"
FRAMES = 6  # frames kept per allocation: enough to see which caller holds a growing structure

log = logging.getLogger("kioskd.memtrace")


def folder() -> Path | None:
    """Where snapshots go, or None when tracing is off."""
    value = os.environ.get(ENV, "")
    return Path(value) if value else None


def start() -> bool:
    """Start tracing when the variable is set; True when on."""
    if folder() is None:
        return False
    if not tracemalloc.is_tracing():
        tracemalloc.start(FRAMES)
    return True


def dump() -> Path | None:
    """Write a snapshot to the folder (SIGUSR2's handler); its path, None when off."""
    where = folder()
    if where is None or not tracemalloc.is_tracing():
        return None
    where.mkdir(parents=True, exist_ok=True)
    n = len(list(where.glob(f"memtrace-{os.getpid()}-*.snapshot")))
    path = where / f"memtrace-{os.getpid()}-{n}.snapshot"
    snapshot = tracemalloc.take_snapshot().filter_traces([
        tracemalloc.Filter(False, tracemalloc.__file__),  # the tracer's own bookkeeping
    ])
    # (no pymalloc arena counts: sys._debugmallocstats prints none while tracemalloc hooks the allocator)
    outside = native_memory() | {"traced_peak": tracemalloc.get_traced_memory()[1]}
    tracemalloc.reset_peak()  # each snapshot's peak is since the one before
    path.with_suffix(".json").write_text(json.dumps(outside), encoding="utf-8")
    part = path.with_suffix(".part")
    snapshot.dump(str(part))
    part.rename(path)  # whole when it appears under its name
    log.warning("memory snapshot %s: %.1f MB traced; outside Python's objects: %s", path,
                tracemalloc.get_traced_memory()[0] / 1e6, outside)
    return path
