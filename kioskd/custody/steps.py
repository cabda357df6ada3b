"""A custody session's state as it goes, and as it ended: what the kiosk screen shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kioskd.custody.count import CountLine, Figure, person
from kioskd.custody.statement import Statement
from kioskd.hall.accounts import Refusal

LOGIN_STEPS = ("tech1_id", "tech1_pin", "tech2_id", "tech2_pin")
PIN_STEPS = ("tech1_pin", "tech2_pin", "confirm1", "confirm2")
MAX_ENTRY = 12  # digits in one field (IDs, PINs, counts)


@dataclass
class Session:
    """One custody session as it goes."""

    id: str
    source: str
    step: str = "tech1_id"
    entry: str = ""
    tech_id: str = ""  # the ID typed, waiting for its PIN
    tech1: tuple[str, str] | None = None
    tech2: tuple[str, str] | None = None
    message: str | None = None
    refusal: Refusal | None = None  # the last failed PIN: tries left, locked until
    statement: Statement | None = None
    printed: str | None = None  # the statement: printed or failed
    expected: dict[int, int] = field(default_factory=dict)
    lines: list[CountLine] = field(default_factory=list)
    entered: dict[str, Figure] = field(default_factory=dict)
    box_out: bool = False
    counters_reset: bool = False

    def denominations(self) -> list[int]:
        """The denominations the count asks for (fen, ascending)."""
        return [line.value for line in self.lines if line.kind == "notes" and line.value]

    def view(self, deadline_ms: int | None) -> dict[str, Any]:
        """The snapshot's `custody` object; never the expected figures (the count is blind)."""
        at = len(self.entered) if self.step == "count" and len(self.entered) < len(self.lines) else None
        return {
            "session": self.id,
            "step": self.step,
            # a PIN shows as its length only
            "entry": "*" * len(self.entry) if self.step in PIN_STEPS else self.entry,
            "tech_id": self.tech_id if self.step in ("tech1_pin", "tech2_pin") else None,
            "tech1": person(self.tech1),
            "tech2": person(self.tech2),
            "message": self.message,
            "tries_left": None if self.refusal is None else self.refusal.tries_left,
            "deadline": deadline_ms if self.step in LOGIN_STEPS else None,
            "box_out": self.box_out,
            "statement": self.printed,
            "lines": [line.view() for line in self.lines],
            "line": at,
            "entered": dict(self.entered),
        }


@dataclass
class Ended:
    """What the screen shows after a session ended, until the technicians leave it."""

    session: str
    outcome: str  # aborted, match, mismatch
    reason: str | None  # why it was aborted: cancelled, timeout, same_technician, same_key_holder, locked, disabled
    tech1: tuple[str, str] | None = None
    tech2: tuple[str, str] | None = None
    staff: str | None = None  # the account a lock-out or refusal was about
    locked_until: str | None = None
    result: list[dict[str, Any]] | None = None  # per denomination: expected, counted, diff, verdict
    counterfeit: int = 0
    counterfeits: list[dict[str, Any]] | None = None  # each counterfeit: value (fen), serial
    totals: dict[str, int] | None = None  # the reconciliation in fen (kioskd.custody.statement.totals)
    handover: str | None = None  # the handover record: printed, failed, or None (no count)
    digest: str | None = None  # the handover record's SHA-256, as printed on it
    differences: int = 0  # differences opened (one per note over, short or counterfeit)
    statement: str | None = None  # the cash statement: printed, failed, or None (none was due)
    acknowledged: bool = False  # a key was pressed: the screen leaves after the guard time

    def view(self) -> dict[str, Any]:
        """The snapshot's `custody` object for the ended session."""
        return {
            "session": self.session, "step": "ended", "outcome": self.outcome, "reason": self.reason,
            "tech1": person(self.tech1), "tech2": person(self.tech2), "staff": self.staff,
            "locked_until": self.locked_until, "result": self.result, "counterfeit": self.counterfeit,
            "counterfeits": self.counterfeits, "totals": self.totals, "handover": self.handover,
            "digest": self.digest, "differences": self.differences,
            "statement": self.statement, "acknowledged": self.acknowledged,
        }
