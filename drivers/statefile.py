"""Small state files that a power cut leaves old or new, never half-written or gone.

Every state file (validator counters, keys, config hash, run marker, alerts, daily close)
is written here: to a temporary file, fsynced, renamed over the old one, and the folder
fsynced, because a rename or a new name is only durable once its directory is
(tests/power/ proves each on a file system that drops whatever was not fsynced). Each write has
its own temporary name, so two writers of one path each land whole (the last one stays). A power cut
between a temporary's write and its rename leaves it behind: the daemon removes such leftovers
at start, before any writer runs (remove_leftover_temps).
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("drivers.statefile")

# _write_temp's names: a dot, the state file's name, mkstemp's eight characters, ".tmp"
_TEMP_NAME = re.compile(r"\.(?P<of>[^/]+)\.[a-z0-9_]{8}\.tmp")


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


def remove_leftover_temps(folder: Path | str) -> list[str]:
    """Remove the temporary files of writes cut short (a power cut before the rename) in `folder`.

    Run it before any writer starts: a write in progress has a temporary of this form too.
    The names removed, each logged; one that cannot be removed (a read-only folder) is logged and kept.
    """
    folder = Path(folder)
    removed = []
    with os.scandir(folder) as entries:
        leftovers = sorted(e.name for e in entries if _TEMP_NAME.fullmatch(e.name) and e.is_file(follow_symlinks=False))
    for name in leftovers:
        try:
            (folder / name).unlink()
        except FileNotFoundError:
            continue
        except OSError as err:
            log.error("leftover temporary state file %s not removed: %s", folder / name, err)
            continue
        log.warning("removed %s, left by a write of %s cut short (power cut or crash)",
                    folder / name, _TEMP_NAME.fullmatch(name)["of"])  # type: ignore[index]
        removed.append(name)
    if removed:
        fsync_dir(folder)
    return removed


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
