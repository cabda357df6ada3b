"""Reference backend: a strict implementation of docs/spec/backend-api.md for tests and demos."""

from refbackend.server import Faults, ReferenceBackend

__all__ = ["Faults", "ReferenceBackend"]
