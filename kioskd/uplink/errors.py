"""Exceptions of the backend link; every message names the backend or the key file."""


class UplinkError(Exception):
    """Base class for backend-link problems."""


class Unreachable(UplinkError):
    """No definite answer from the backend (timeout, connection error, 5xx, garbage)."""


class KeyFileError(UplinkError):
    """The kiosk key file is missing, unsafe or unreadable."""
