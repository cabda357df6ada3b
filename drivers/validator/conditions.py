"""Lasting validator conditions (jam, stacker full/open, faults) turned into edge events.

A polled validator reports a condition at every poll while it lasts; the machine wants one event
when it starts and, for jams and an open stacker, one when it ends. Condition names:
``jam:acceptor``/``jam:stacker`` -> NoteJam / JamCleared, ``full`` -> StackerFull,
``open`` -> StackerOpened / StackerClosed; any other name is a driver-specific fault whose event
the driver builds (or None for no event), and ValidatorFaultCleared once none is left.
"""

from __future__ import annotations

from collections.abc import Callable

from drivers.base import (
    DeviceEvent,
    JamCleared,
    NoteJam,
    StackerClosed,
    StackerFull,
    StackerOpened,
    ValidatorFaultCleared,
)

EDGE_CONDITIONS = ("full", "open")

FaultEvent = Callable[[str], DeviceEvent | None]


class ConditionEdges:
    """Remembers the conditions of the last poll and emits events for the ones that change."""

    def __init__(self, name: str, emit: Callable[[DeviceEvent], None]) -> None:
        self.name = name
        self._emit = emit
        self.active: set[str] = set()

    def reset(self) -> None:
        """Forget the conditions seen so far (a fresh session reports them again)."""
        self.active = set()

    def update(self, now: set[str], fault: FaultEvent) -> None:
        """Emit events for conditions new in `now` (sorted by name) and for jams/open gone."""
        for cond in sorted(now - self.active):
            if cond.startswith("jam:"):
                self._emit(NoteJam(self.name, cond[4:]))
            elif cond == "full":
                self._emit(StackerFull(self.name))
            elif cond == "open":
                self._emit(StackerOpened(self.name))
            else:
                event = fault(cond)
                if event is not None:
                    self._emit(event)
        gone = self.active - now
        # one JamCleared however many jams ended: the machine tracks "jammed", not where
        if any(c.startswith("jam:") for c in gone):
            self._emit(JamCleared(self.name))
        if "open" in gone:
            self._emit(StackerClosed(self.name))
        if any(_is_fault(c) for c in gone) and not any(_is_fault(c) for c in now):
            self._emit(ValidatorFaultCleared(self.name))
        self.active = now


def _is_fault(cond: str) -> bool:
    return not cond.startswith("jam:") and cond not in EDGE_CONDITIONS
