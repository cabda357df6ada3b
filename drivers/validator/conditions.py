"""Lasting validator conditions (jam, stacker full/open, faults) turned into edge events.

A polled validator reports a condition at every poll while it lasts; the machine wants one event
when it starts and, for jams and an open stacker, one when it ends. Condition names:
``jam:acceptor``/``jam:stacker`` -> NoteJam / JamCleared, ``full`` -> StackerFull,
``open`` -> StackerOpened / StackerClosed; any other name is a driver-specific fault whose event
the driver builds (or None for no event), and ValidatorFaultCleared once none is left.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

from drivers.base import (
    DeviceEvent,
    JamCleared,
    JamPlace,
    NoteJam,
    StackerClosed,
    StackerFull,
    StackerOpened,
    ValidatorFault,
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

    def forget(self, event: type[DeviceEvent]) -> None:
        """Forget the lasting condition behind `event`: the next poll reports it again if it lasts."""
        lasting = _CONDITION_OF.get(event)
        if lasting is not None:
            self.active = {cond for cond in self.active if not lasting(cond)}

    def update(self, now: set[str], fault: FaultEvent) -> None:
        """Emit events for conditions new in `now` (sorted by name) and for jams/open gone."""
        for cond in sorted(now - self.active):
            if cond.startswith("jam:"):
                self._emit(NoteJam(self.name, cast(JamPlace, cond[4:])))  # "jam:" + a table value
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

    def update_status(self, table: StatusTable, status: int, data: bytes) -> None:
        """update() for one status reply of a protocol described by `table`."""
        self.update(table.conditions(status, data), lambda _cond: table.fault(self.name, status, data))


@dataclass(frozen=True)
class StatusTable:
    """Which codes of a one-status-byte protocol (ID-003, CCNET) are lasting conditions."""

    jams: Mapping[int, str]  # status -> "acceptor" or "stacker"
    full: int
    open: int
    faults: Mapping[int, str]  # status -> the fault's kind
    failure: int  # the fault whose first data byte is a failure code
    failure_codes: Mapping[int, str]

    def conditions(self, status: int, data: bytes) -> set[str]:
        """The condition names a status reports (none for a normal status)."""
        if status in self.jams:
            return {f"jam:{self.jams[status]}"}
        if status == self.full:
            return {"full"}
        if status == self.open:
            return {"open"}
        if status in self.faults:
            return {f"fault:{status}:{data.hex()}"}
        return set()

    def fault(self, name: str, status: int, data: bytes) -> ValidatorFault:
        """The ValidatorFault event of a fault status, failure codes spelled out."""
        kind = self.faults[status]
        code = data[0] if data else None
        if status == self.failure and code is not None:
            kind = f"failure: {self.failure_codes.get(code, hex(code))}"
        return ValidatorFault(name, kind, code)


def _is_fault(cond: str) -> bool:
    return not cond.startswith("jam:") and cond not in EDGE_CONDITIONS


# the conditions each event reports the start of (for forget)
_CONDITION_OF: dict[type[DeviceEvent], Callable[[str], bool]] = {
    StackerFull: lambda cond: cond == "full",
    StackerOpened: lambda cond: cond == "open",
    NoteJam: lambda cond: cond.startswith("jam:"),
    ValidatorFault: _is_fault,
}
