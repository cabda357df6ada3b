"""The money journal: transactions, notes, box counters, outbox and audit chain (SQLite)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kioskd.ledger.errors import JournalTampered, LedgerError, NoStackIntent, StorageError
from kioskd.ledger.records import NoteRecord, OutboxItem, TxnRecord

if TYPE_CHECKING:
    from kioskd.ledger.ledger import Ledger

__all__ = ["JournalTampered", "Ledger", "LedgerError", "NoStackIntent", "NoteRecord", "OutboxItem", "StorageError", "TxnRecord"]


def __getattr__(name: str) -> Any:
    """`Ledger` (SQLite, sqlite-utils) is imported when first named, not with the package: a module
    that reads only the records or words here (kioskctl's socket commands) does not load it."""
    if name == "Ledger":
        from kioskd.ledger.ledger import Ledger

        return Ledger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
