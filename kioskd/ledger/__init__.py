"""The money journal: transactions, notes, box counters, outbox and audit chain (SQLite)."""

from kioskd.ledger.errors import JournalTampered, LedgerError, NoStackIntent, StorageError
from kioskd.ledger.ledger import Ledger
from kioskd.ledger.records import NoteRecord, OutboxItem, TxnRecord

__all__ = ["JournalTampered", "Ledger", "LedgerError", "NoStackIntent", "NoteRecord", "OutboxItem", "StorageError", "TxnRecord"]
