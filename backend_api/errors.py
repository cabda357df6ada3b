"""Errors of the wire contract, raised on either side."""


class BadSignature(Exception):
    """A JWS that is malformed or does not verify."""


class PayloadRefused(Exception):
    """A JWS that verifies but whose payload is not JSON in its one accepted form (RFC 8785)."""
