"""The ledger's exception hierarchy."""

from __future__ import annotations


class LedgerError(Exception):
    """A journal operation that breaks a rule (unknown txn, wrong state, money invariant)."""


class StorageError(LedgerError):
    """The journal file cannot be used: disk full, read-only, corrupt, pragma check failed."""
