"""The blind count as a form of lines the technicians fill one at a time on the keypad.

Each line is one figure typed and confirmed: the genuine notes of each denomination, then how
many counterfeit notes were found, then for each counterfeit its face value (in yuan, one of the
denominations) and its serial number. A serial number's letters are typed as on a phone: the
digit, then `finish` turns it into its letters in turn (2 -> A -> B -> C -> 2, ..., 9 -> W X Y Z).
The screen shows the lines, the figures entered so far and the line being typed; it never
shows the expected figures before both technicians confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COUNTERFEIT = "counterfeit"
MAX_COUNTERFEITS = 20  # one session's counterfeit notes, each with its value and serial typed
SERIAL_MAX = 12
LETTERS = {"2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL", "6": "MNO", "7": "PQRS", "8": "TUV", "9": "WXYZ"}

Figure = int | str  # notes (int), a counterfeit's value in fen (int) or its serial (str)


@dataclass(frozen=True)
class CountLine:
    """One figure of the count: `key` names it in `entered`; `value` is the denomination (fen)."""

    key: str
    kind: str  # notes (genuine notes of `value`), counterfeit (how many), cf_value, cf_serial
    value: int | None = None
    index: int | None = None  # which counterfeit (1..) a cf_value / cf_serial line is about

    def view(self) -> dict[str, Any]:
        """The line as the screen shows it."""
        return {"key": self.key, "kind": self.kind, "value": self.value, "index": self.index}


def count_lines(denominations: list[int], counterfeits: int = 0) -> list[CountLine]:
    """The lines of a count: each denomination (ascending), the counterfeit count, then each counterfeit."""
    lines = [CountLine(str(v), "notes", v) for v in denominations] + [CountLine(COUNTERFEIT, COUNTERFEIT)]
    for i in range(1, counterfeits + 1):
        lines += [CountLine(f"cf{i}_value", "cf_value", index=i), CountLine(f"cf{i}_serial", "cf_serial", index=i)]
    return lines


def figure(line: CountLine, entry: str, denominations: list[int]) -> Figure:
    """The figure typed on a line; ValueError naming why it is refused (bad_value, bad_serial, too_many)."""
    if line.kind == "cf_serial":
        if not (1 <= len(entry) <= SERIAL_MAX and entry.isalnum()):
            raise ValueError("bad_serial")
        return entry
    if not entry.isdigit():
        raise ValueError("bad_value")
    number = int(entry)
    if line.kind == "cf_value" and number * 100 not in denominations:
        raise ValueError("bad_value")
    if line.kind == COUNTERFEIT and number > MAX_COUNTERFEITS:
        raise ValueError("too_many")
    return number * 100 if line.kind == "cf_value" else number


def entry_of(line: CountLine, value: Figure) -> str:
    """What the keypad entry shows again when a line is typed anew (yuan for a value)."""
    return str(value // 100) if line.kind == "cf_value" and isinstance(value, int) else str(value)


def cycle_letter(entry: str) -> str:
    """`finish` on a serial number: its last digit becomes its first letter, a letter the next one."""
    if not entry:
        return entry
    last = entry[-1]
    for digit, letters in LETTERS.items():
        if last == digit:
            return entry[:-1] + letters[0]
        if last in letters:
            i = letters.index(last)
            return entry[:-1] + (letters[i + 1] if i + 1 < len(letters) else digit)
    return entry


def counted_notes(lines: list[CountLine], entered: dict[str, Figure]) -> dict[int, int]:
    """Genuine notes per denomination from the figures entered."""
    return {line.value: int(entered.get(line.key, 0)) for line in lines if line.kind == "notes" and line.value}


def counterfeit_notes(lines: list[CountLine], entered: dict[str, Figure]) -> list[dict[str, Any]]:
    """Each counterfeit note entered: {value (fen), serial}."""
    found = []
    for line in lines:
        if line.kind == "cf_value" and line.key in entered:
            found.append({"value": int(entered[line.key]), "serial": str(entered.get(f"cf{line.index}_serial", ""))})
    return found


def person(tech: tuple[str, str] | None) -> dict[str, str] | None:
    """A technician (id, name) as the screen shows it."""
    return None if tech is None else {"id": tech[0], "name": tech[1]}
