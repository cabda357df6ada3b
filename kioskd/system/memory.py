"""The daemon's memory outside Python's objects: glibc malloc's and SQLite's, and giving back what is free.

Weeks of payments allocate and free the same sizes over and over. glibc keeps freed memory
in its arenas for reuse rather than giving it back, so the resident size creeps up a few MB a
day (bench.soak: Python's objects and SQLite's memory flat, malloc's free-but-held bytes
growing) although nothing leaks. `give_back_free_memory` (glibc's malloc_trim) returns the
free pages to the system; the daily close calls it once a day.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

PAGE = os.sysconf("SC_PAGE_SIZE")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost")]


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


def native_memory() -> dict[str, int]:
    """Bytes tracemalloc does not see: glibc malloc's in use and held free, SQLite's own."""
    found: dict[str, int] = {}
    libc = _libc()
    if libc is not None and hasattr(libc, "mallinfo2"):  # glibc >= 2.33; sums every arena
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
        found |= {"malloc_in_use": info.uordblks + info.hblkhd, "malloc_free_held": info.fordblks}
    name = ctypes.util.find_library("sqlite3")
    if name:  # the library the sqlite3 module is linked to (one copy per process)
        sqlite = ctypes.CDLL(name)
        sqlite.sqlite3_memory_used.restype = ctypes.c_int64
        found["sqlite_in_use"] = sqlite.sqlite3_memory_used()
    return found


def resident_bytes() -> int:
    """This process's resident set size."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE


def give_back_free_memory() -> int:
    """Return malloc's free pages to the system (glibc malloc_trim); bytes of RSS given back."""
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):  # another libc (musl): nothing to do
        return 0
    before = resident_bytes()
    libc.malloc_trim(0)
    return max(0, before - resident_bytes())
