"""The journal's lock: kioskd holds it for its whole life, `kioskctl restore` while it works.

An flock(2) on `<state_dir>/journal.lock`, not a pid file: the kernel drops it when the
holder exits, however it exits (SIGKILL, power cut), so it is never stale, and a restore
can never move the journal from under a running daemon that would keep writing to it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from kioskd.ledger.errors import JournalLocked, StorageError

LOCK_FILE = "journal.lock"


class JournalLock:
    """An exclusive lock on a state directory's journal; release() or process exit drops it."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock at once or raise StorageError naming who may hold it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as err:
            raise StorageError(f"journal lock {self.path}: {err.strerror or err}", "lock_unusable", path=str(self.path),
                               why=err.strerror or str(err), errno=err.errno) from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JournalLocked(f"journal lock {self.path} is held: kioskd is running on this state "
                               "directory, or a restore is under way", "locked", path=str(self.path)) from None
        self._fd = fd

    def release(self) -> None:
        """Drop the lock; idempotent."""
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor releases the flock
            self._fd = None

    def __enter__(self) -> JournalLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()
