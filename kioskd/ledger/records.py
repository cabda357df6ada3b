"""Frozen records the ledger hands out, and the time format it stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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
class AuditProblem:
    """Something wrong in the journal; `seq` is the first chain entry it concerns (0: none, e.g. the schema).

    `reason` says it in English for logs; staff read it from `code` and `values` in their language
    (kioskd.hall.journal_words)."""

    seq: int
    reason: str
    code: str = ""
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NoteRecord:
    """One stacked note: value in fen and when its credit was committed."""

    value: int
    at: str


# the opening reason of a payment made for a held note that landed after its own payment ended
FOLLOW_UP_REASON = "note in flight credited after txn {txn} ended"


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
    reason: str | None  # how it ended: the backend's refusal (flagged), else None
    payload: str | None
    reprint_wanted: bool
    opened_reason: str | None = None  # why it exists when not a customer's own look-up (a follow-up)

    @property
    def number(self) -> int:
        """The receipt number (seq) of a payment that took cash; ValueError for one that did not."""
        if self.seq is None:
            raise ValueError(f"payment {self.id} has no receipt number")
        return self.seq

    def end_line(self) -> str:
        """The payment's end for the log: seq, txn, account (masked), amount, state, backend ref."""
        return (f"payment #{self.seq} {self.state}: txn {self.id}, account {mask_account(self.account)}, "
                f"{self.amount} fen, ref {self.ref or '-'}" + (f", reason {self.reason}" if self.reason else ""))


def mask_account(account: str) -> str:
    """An account number for logs: only its last four characters shown."""
    return "*" * max(0, len(account) - 4) + account[-4:]


@dataclass(frozen=True)
class OutboxItem:
    """One store-and-forward item waiting for a definite answer."""

    id: int
    kind: str
    key: str
    body: str
    tries: int
    next_try: str
