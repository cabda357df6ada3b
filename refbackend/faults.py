"""Fault hooks of the reference backend: what tests switch on to play a failing backend."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Faults:
    """Test hooks; counters count down once per request on a matching path."""

    fail_5xx: int = 0  # answer 503 without doing anything
    drop_before: int = 0  # close the connection before committing anything
    drop_after: int = 0  # commit, then close the connection without an answer
    delay: float = 0.0  # wait before handling each request (client time-outs)
    delay_after: float = 0.0  # commit, then wait before answering
    # play a backend older than these batch record kinds: a batch holding one gets the 400 of a
    # kind it does not know (a switch, not a count: it lasts until the "upgrade" empties it)
    unknown_kinds: frozenset[str] = frozenset()
    paths: tuple[str, ...] | None = None  # None: every path, e.g. ("/v1/payments",)

    def applies(self, path: str) -> bool:
        """Whether the faults apply to a request on `path`."""
        return self.paths is None or path in self.paths
