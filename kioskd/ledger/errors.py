"""The ledger's exception hierarchy."""

from __future__ import annotations


class LedgerError(Exception):
    """A journal operation that breaks a rule (unknown txn, wrong state, money invariant)."""


class StorageError(LedgerError):
    """The journal file cannot be used: disk full, read-only, corrupt, pragma check failed."""


class JournalTampered(StorageError):
    """The journal disagrees with its signed chain (schema, entries, checkpoints or money tables)."""


class JournalLocked(StorageError):
    """Another process (a running kioskd, a restore) holds the journal's lock."""
