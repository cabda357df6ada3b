"""What the state machine needs from the rest of kioskd, as Protocols.

The model talks to the journal, the backend, the printer side and the alerts only
through these; kioskd implements them, the machine tests use fakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

LookupFailure = Literal["unknown_account", "account_blocked", "unreachable"]
PaymentStatus = Literal["credited", "pending", "flagged"]


@dataclass(frozen=True)
class AccountInfo:
    """A found account as the backend answered it (amounts in fen)."""

    account: str
    holder: str
    due: int
    balance: int
    currency: str
    min: int
    max: int


class LookupFailed(Exception):
    """The look-up gave no payable account; `reason` is a LookupFailure."""

    def __init__(self, reason: LookupFailure, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PaymentResult:
    """What became of a payment that took cash; what the customer is told."""

    txn: str
    seq: int
    account: str
    amount: int
    notes: tuple[int, ...]
    status: PaymentStatus
    balance: int | None = None
    ref: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class StuckNote:
    """A stuck note that is not in the payment (fen; 0: the validator did not say its value)."""

    value: int
    handed_back: bool  # False: still stuck, the staff settle it


@dataclass(frozen=True)
class ReprintChoice:
    """A recent payment a customer may reprint at the kiosk (what the list shows, no names)."""

    txn: str
    seq: int
    amount: int
    status: PaymentStatus
    local_time: str  # "MM-DD HH:MM" in the kiosk's time zone
    used: bool  # the customer already had their one copy of it


class Journal(Protocol):
    """The money journal (kioskd.ledger)."""

    async def open_payment(self, info: AccountInfo) -> str:
        """Open a cash session for a looked-up account; returns the txn id (UUID)."""
        ...

    async def stack_requested(self, txn: str, value: int) -> None:
        """Durably note that STACK is about to be sent for a note of `value` fen."""
        ...

    async def withdraw_stack_intent(self, txn: str, value: int) -> bool:
        """The note went back without STACK: clear its intent if it is still the open one (True)."""
        ...

    async def commit_note(self, txn: str, value: int) -> int:
        """Durably add a stacked note to the transaction; returns after fsync, with the payment's seq."""
        ...

    async def close_payment(self, txn: str) -> bool:
        """End the cash session: True when it took cash (now `closed`), False if cancelled."""
        ...

    async def rate_payment(self, txn: str, rating: str) -> None:
        """Keep the customer's rating (good, fair, poor) of a payment that took cash; once."""
        ...


class Payments(Protocol):
    """The backend link (kioskd.uplink)."""

    async def lookup(self, account: str) -> AccountInfo:
        """Look an account up; raise LookupFailed."""
        ...

    async def submit(self, txn: str) -> PaymentResult:
        """Submit a closed payment (idempotent); always returns, `pending` when unknown."""
        ...


class ReceiptService(Protocol):
    """Receipt printing (kioskd.customer.receipts.layout)."""

    async def print_payment(self, result: PaymentResult, locale: str, stuck: StuckNote | None = None) -> bool:
        """Print the receipt (saying what became of a stuck note); False when not printed (kept for reprint)."""
        ...


class InvoiceDesk(Protocol):
    """Electronic invoices (kioskd.customer.invoices): request, then print the slip."""

    async def request(self, result: PaymentResult, locale: str) -> tuple[str, str | None]:
        """Ask for the payment's invoice and print its slip: (issued | pending | refused, number)."""
        ...


class Reprints(Protocol):
    """Self-service reprints (kioskd.customer.receipts.reprint)."""

    async def recent_payments(self, account: str) -> list[ReprintChoice]:
        """The account's payments of the last 24 hours, newest first (at most 5)."""
        ...

    async def for_customer(self, txn: str, locale: str) -> str:
        """Print the customer's one copy: "printed", "already", "refused" or "failed"."""
        ...


class AlertService(Protocol):
    """Alert raising (kioskd.hall.alerts)."""

    def raise_alert(self, code: str, severity: str = "warning", *, device: str = "", **detail: object) -> None:
        """Raise (or keep) the open alert `code`."""
        ...

    def clear_alert(self, code: str) -> None:
        """Clear the open alert `code`, if any."""
        ...
