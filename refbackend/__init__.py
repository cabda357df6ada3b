"""Reference backend: a strict implementation of docs/spec/backend-api.md for tests and demos."""

from refbackend.faults import Faults
from refbackend.server import ReferenceBackend

__all__ = ["Faults", "ReferenceBackend"]
