"""The daemon's memory outside Python's objects (glibc malloc's, SQLite's): what tracemalloc cannot see.

bench.soak --memtrace prints these each day beside the tracemalloc diff, to tell a leak in
Python's objects from one in a C library or from memory malloc holds free (fragmentation).
"""

from __future__ import annotations

import ctypes
import ctypes.util


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
        sqlite.sqlite3_memory_highwater.restype = ctypes.c_int64
        found["sqlite_peak"] = sqlite.sqlite3_memory_highwater(1)  # since the last call: reset
    return found
