"""Exceptions of the backend link; every message names the backend or the key file."""

from __future__ import annotations

from typing import Any


class UplinkError(Exception):
    """Base class for backend-link problems."""


class Unreachable(UplinkError):
    """No definite answer from the backend (timeout, connection error, 5xx, garbage).

    `kind` says which, for staff's words (kioskd.hall.words.LINK_ERRORS): timeout, connect, http
    (`status` then holds the HTTP status), not_json, not_object."""

    def __init__(self, message: str, kind: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.kind, self.status = kind, status


class KeyFileError(UplinkError):
    """The kiosk key file is missing, unsafe or unreadable; `code` and `values` are what staff read it from
    (kioskd.hall.journal_words.KEY_WORDS), the message what the log keeps."""

    def __init__(self, message: str, code: str = "", **values: Any) -> None:
        super().__init__(message)
        self.code, self.values = code, values
