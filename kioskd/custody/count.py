"""The blind count as a form of lines the technicians fill one at a time on the keypad.

Each line is one figure typed and confirmed: the notes of a denomination, then the
counterfeit notes. The screen shows the lines, the figures entered so far and the line being
typed; it never shows the expected figures before both technicians confirmed. To count
more (counterfeits per denomination, serial numbers), add lines here: the session, the
screen and the audit entry follow the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COUNTERFEIT = "counterfeit"


@dataclass(frozen=True)
class CountLine:
    """One figure of the count: `key` names it in `entered`; `value` is the denomination (fen)."""

    key: str
    kind: str  # "notes" (genuine notes of `value`) or "counterfeit" (all counterfeit notes)
    value: int | None = None

    def view(self) -> dict[str, Any]:
        """The line as the screen shows it."""
        return {"key": self.key, "kind": self.kind, "value": self.value}


def count_lines(denominations: list[int]) -> list[CountLine]:
    """The lines of a count: each denomination (ascending), then the counterfeits."""
    return [CountLine(str(v), "notes", v) for v in denominations] + [CountLine(COUNTERFEIT, COUNTERFEIT)]


def counted_notes(lines: list[CountLine], entered: dict[str, int]) -> dict[int, int]:
    """Genuine notes per denomination from the figures entered."""
    return {line.value: entered.get(line.key, 0) for line in lines if line.kind == "notes" and line.value}


def person(tech: tuple[str, str] | None) -> dict[str, str] | None:
    """A technician (id, name) as the screen shows it."""
    return None if tech is None else {"id": tech[0], "name": tech[1]}
