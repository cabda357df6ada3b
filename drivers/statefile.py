"""Small state files that a power cut leaves old or new, never half-written or gone.

Every state file (validator counters, keys, config hash, run marker, alerts, daily close)
is written here: to a temporary file, fsynced, renamed over the old one, and the folder
fsynced, because a rename or a new name is only durable once its directory is
(tests/power/ proves each on a file system that drops whatever was not fsynced). Each write has
its own temporary name, so two writers of one path each land whole (the last one stays).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("drivers.statefile")


def fsync_dir(folder: Path | str) -> None:
    """Make the folder's entries (new names, renames, removals) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(path: Path, data: bytes, mode: int) -> Path:
    """`data` in a new fsynced file beside `path`, under a name of its own: two writers of one path
    (threads, tasks) never write, rename or remove each other's temporary file."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(name)
    try:
        try:
            os.fchmod(fd, mode)  # mkstemp makes it 0600: the mode asked, whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        temp.unlink(missing_ok=True)  # a failed write (disk full) leaves no temporary behind
        raise
    return temp


def write_file(path: Path | str, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` atomically and durably."""
    path = Path(path)
    temp = _write_temp(path, data, mode)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def create_file(path: Path | str, data: bytes, mode: int = 0o600) -> None:
    """Create `path` with `data` durably; FileExistsError if it exists (never replaced)."""
    path = Path(path)
    temp = _write_temp(path, data, mode)
    try:
        os.link(temp, path)  # atomic and exclusive: the name appears with all its bytes or not at all
    finally:
        temp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def remove_file(path: Path | str) -> None:
    """Remove `path` (if there) durably."""
    path = Path(path)
    path.unlink(missing_ok=True)
    fsync_dir(path.parent)


def write_json(path: Path | str, data: dict[str, Any]) -> None:
    """Replace a small JSON state file atomically and durably."""
    write_file(path, json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def read_json(path: Path | str) -> dict[str, Any] | None:
    """A JSON state file's object; None when missing or unreadable (logged)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        log.error("state file %s unreadable, ignored: %s", path, err)
        return None
    return data if isinstance(data, dict) else None
