"""The ledger's exception hierarchy."""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """A journal operation that breaks a rule (unknown txn, wrong state, money invariant); `code` and `values`
    are what staff read it from (kioskd.hall.storage_words), the message what the log keeps."""

    def __init__(self, message: str, code: str = "", **values: Any) -> None:
        super().__init__(message)
        self.code, self.values = code, values


def sqlite_values(err: Exception) -> dict[str, Any]:
    """What staff read an SQLite refusal from: its name (SQLITE_FULL, SQLITE_NOTADB, ...) and its words."""
    return {"name": getattr(err, "sqlite_errorname", ""), "why": str(err)}


class StorageError(LedgerError):
    """The journal file cannot be used: disk full, read-only, corrupt, pragma check failed."""


class JournalTampered(StorageError):
    """The journal disagrees with its signed chain (schema, entries, checkpoints or money tables)."""


class JournalLocked(StorageError):
    """Another process (a running kioskd, a restore) holds the journal's lock."""


class NoStackIntent(LedgerError):
    """A credit for a payment whose stack intent does not name it with that value: not booked there."""

    def __init__(self, txn: str, value: int, intent: tuple[str, int] | None) -> None:
        named = f"txn {intent[0]}, {intent[1]} fen" if intent else "none"
        super().__init__(f"no stack intent for a {value} fen note of txn {txn} (the open intent: {named})")
        self.intent = intent  # (txn, value) of the open intent: where the note may belong
