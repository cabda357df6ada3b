"""Errors of the wire contract, raised on either side."""


class BadSignature(Exception):
    """A JWS that is malformed or does not verify."""
