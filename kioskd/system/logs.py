"""The daemon's log: one line per event, and a flood of the same warning kept to a few lines.

A warning repeated within WINDOW seconds is written once and its repeats counted; one line says
how many there were ("... (repeated 9,999 times in 60 s)") before the first line written after
the window, or when the daemon stops. Warnings of one kind that differ only in their arguments
(10,000 different refused keys) are let through BURST times a window, the rest counted alike.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW = 60.0  # seconds
BURST = 10  # distinct lines of one kind per window before the rest are only counted
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass
class _Kind:
    """One kind of warning (logger, level, message template) in the present window."""

    started: float
    shown: set[str]
    last: logging.LogRecord
    repeats: int = 0
    varied: bool = False  # some counted lines differed from every line written


class RepeatFilter(logging.Filter):
    """A handler filter that writes a repeated warning once per window, then a count."""

    def __init__(self, handler: logging.Handler, *, window: float = WINDOW, burst: int = BURST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.handler, self.window, self.burst, self.clock = handler, window, burst, clock
        self._kinds: dict[tuple[str, int, str], _Kind] = {}
        self._lock = threading.RLock()  # the journal logs from worker threads too

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether `record` is written (a count line for ended windows may be written first)."""
        if getattr(record, "repeat_count", False):
            return True
        with self._lock:
            return self._admit(record)

    def _admit(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        self._close_windows(now)
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, str(record.msg))
        kind = self._kinds.get(key)
        message = record.getMessage()
        if kind is None:
            self._kinds[key] = _Kind(now, {message}, record)
            return True
        kind.last = record
        if message not in kind.shown and len(kind.shown) < self.burst:
            kind.shown.add(message)
            return True
        kind.repeats += 1
        kind.varied = kind.varied or message not in kind.shown
        return False

    def flush(self) -> None:
        """Write the count of every warning still being counted (at stop)."""
        with self._lock:
            self._close_windows(float("inf"))

    def _close_windows(self, now: float) -> None:
        ended = [key for key, kind in self._kinds.items() if now - kind.started >= self.window]
        for key in ended:
            kind = self._kinds.pop(key)
            if kind.repeats:
                self._write_count(kind, min(now, self.clock()) - kind.started)

    def _write_count(self, kind: _Kind, seconds: float) -> None:
        last = kind.last
        count = (f"{kind.repeats:,} more like it in {seconds:.0f} s, the last one" if kind.varied
                 else f"repeated {kind.repeats:,} times in {seconds:.0f} s")
        line = logging.LogRecord(last.name, last.levelno, last.pathname, last.lineno,
                                 f"{last.getMessage()} ({count})", None, None)
        line.repeat_count = True
        self.handler.handle(line)


def setup(verbose: bool = False) -> RepeatFilter:
    """Log to stderr (the journal under systemd) with repeated warnings counted; the filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    repeats = RepeatFilter(handler)
    handler.addFilter(repeats)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    # transitions logs every callback at INFO; the machine logs what matters itself
    logging.getLogger("transitions").setLevel(logging.DEBUG if verbose else logging.WARNING)
    return repeats
