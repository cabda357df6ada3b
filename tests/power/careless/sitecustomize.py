"""Put on the daemon's PYTHONPATH by one power-cut test only: state files written carelessly.

Plain writes and unlinks, no fsync, no rename, no folder fsync: how config.sha256 and the run
marker were written before drivers/statefile.py. The test proves the harness catches it.
"""

from pathlib import Path

import drivers.statefile as statefile


def careless_write(path: Path | str, data: bytes, mode: int = 0o644) -> None:
    Path(path).write_bytes(data)


def careless_remove(path: Path | str) -> None:
    Path(path).unlink(missing_ok=True)


statefile.write_file = careless_write
statefile.remove_file = careless_remove
