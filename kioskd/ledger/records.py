"""Frozen records the ledger hands out, and the time format it stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend_api.fields import format_utc
from kioskd.ledger.errors import LedgerError
from kioskd.system.clock import wall_now

TXN_STATES: tuple[str, ...] = ("open", "closed", "credited", "pending", "flagged", "cancelled")
SETTLED_STATES: tuple[str, ...] = ("credited", "pending", "flagged")


def utc_now() -> str:
    """Now as RFC 3339 UTC with milliseconds and a Z (fixed width, so it sorts as text)."""
    return format_utc(wall_now())  # the backend's time when the system clock is off


def normalise_utc(text: str) -> str:
    """Any RFC 3339 time with an offset, rewritten in the ledger's stored format."""
    try:
        return format_utc(datetime.fromisoformat(text))
    except (TypeError, ValueError) as err:
        raise LedgerError(f"not an RFC 3339 time with an offset: {text!r}") from err


@dataclass(frozen=True)
class NoteRecord:
    """One stacked note: value in fen and when its credit was committed."""

    value: int
    at: str


@dataclass(frozen=True)
class TxnRecord:
    """A transaction as stored in the journal."""

    id: str
    seq: int | None
    account: str
    holder: str
    due: int
    state: str
    amount: int
    notes: tuple[NoteRecord, ...]
    started: str
    ended: str | None
    balance: int | None
    ref: str | None
    reason: str | None
    payload: str | None
    reprint_wanted: bool


@dataclass(frozen=True)
class OutboxItem:
    """One store-and-forward item waiting for a definite answer."""

    id: int
    kind: str
    key: str
    body: str
    tries: int
    next_try: str
