"""The device log: what the validator, printer and door reported, with times, for a case's evidence.

The journal keeps the money (notes credited); this keeps what did not become money: notes
returned or refused, jams, offline spells. One JSON line per event in `<state>/devices.jsonl`,
rotated at MAX_BYTES into KEEP older files. Keys are never logged: PINs are typed on them.
Not fsynced: it is evidence, not a money record, and must not slow the event pump.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from drivers import base as ev
from kioskd.ledger.records import utc_now

log = logging.getLogger("kioskd.hall.cases")

FILE = "devices.jsonl"
MAX_BYTES = 1_000_000  # about 10,000 events per file
KEEP = 4  # older files kept: devices.jsonl.1 .. .4
NOT_LOGGED = (ev.KeyPressed,)


class DeviceLog:
    """Appends device events to a rotated JSON-lines file and reads them back by time."""

    def __init__(self, state_dir: Path, *, max_bytes: int = MAX_BYTES, keep: int = KEEP) -> None:
        self.path = Path(state_dir) / FILE
        self.max_bytes, self.keep = max_bytes, keep
        self._failed = False

    def record(self, event: ev.DeviceEvent, at: str | None = None) -> None:
        """Append one event (never a key press); a failing disk is logged once, never raised."""
        if isinstance(event, NOT_LOGGED):
            return
        fields = {k: v for k, v in dataclasses.asdict(event).items() if isinstance(v, str | int | bool) or v is None}
        line = json.dumps({"at": at or utc_now(), "event": type(event).__name__, **fields}, ensure_ascii=False)
        try:
            if self.path.exists() and self.path.stat().st_size >= self.max_bytes:
                self._rotate()
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
            self._failed = False
        except OSError as err:
            if not self._failed:
                log.warning("device log %s: %s (events are not kept for evidence until it works)", self.path, err)
            self._failed = True

    def between(self, since: str, until: str) -> list[dict[str, Any]]:
        """Events with since <= at < until, oldest first (RFC 3339 UTC text compares in time order)."""
        found = []
        for path in reversed(self._files()):
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError:
                continue
            for line in lines:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut by a power loss
                if isinstance(entry, dict) and since <= str(entry.get("at", "")) < until:
                    found.append(entry)
        return sorted(found, key=lambda e: e["at"])

    def _files(self) -> list[Path]:
        return [p for p in [self.path, *(self._older(i) for i in range(1, self.keep + 1))] if p.exists()]

    def _older(self, n: int) -> Path:
        return self.path.with_name(f"{FILE}.{n}")

    def _rotate(self) -> None:
        self._older(self.keep).unlink(missing_ok=True)
        for n in range(self.keep - 1, 0, -1):
            if self._older(n).exists():
                self._older(n).rename(self._older(n + 1))
        self.path.rename(self._older(1))
