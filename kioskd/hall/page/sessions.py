"""In-memory staff sessions (each a logged-in person) with an expiry, and a limit on wrong log-ins per client."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

Who = TypeVar("Who")

SESSION_LIFETIME = 12 * 3600.0  # a shift; then staff log in again
MAX_SESSIONS = 64  # a hall has a handful of staff; the oldest session goes first
MAX_FAILURES = 5  # wrong log-ins per client per window, then 429
FAILURE_WINDOW = 60.0
MAX_LOGINS_IN_FLIGHT = 8  # log-ins being judged at once, from all clients; more wait (503)


class Sessions(Generic[Who]):
    """Random session ids, each for one person, valid until they expire or staff log out (lost on restart)."""

    def __init__(self, lifetime: float = SESSION_LIFETIME, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime = lifetime
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._who: dict[str, Who] = {}

    def new(self, who: Who) -> str:
        """Start a session for `who`; its id goes into the cookie."""
        self._prune()
        while len(self._expiry) >= MAX_SESSIONS:
            self.end(next(iter(self._expiry)))  # dicts keep insertion order: the oldest
        sid = secrets.token_urlsafe(32)
        self._expiry[sid] = self._clock() + self.lifetime
        self._who[sid] = who
        return sid

    def person(self, sid: str) -> Who | None:
        """Who is logged in with `sid`, while it is a live session."""
        return self._who.get(sid) if self.valid(sid) else None

    def valid(self, sid: str) -> bool:
        """True while `sid` is a live session."""
        expiry = self._expiry.get(sid)
        if expiry is None:
            return False
        if self._clock() >= expiry:
            self.end(sid)
            return False
        return True

    def end(self, sid: str) -> None:
        """Log out."""
        self._expiry.pop(sid, None)
        self._who.pop(sid, None)

    def __len__(self) -> int:
        self._prune()
        return len(self._expiry)

    def _prune(self) -> None:
        now = self._clock()
        for sid in [s for s, expiry in self._expiry.items() if now >= expiry]:
            self.end(sid)


class LoginLimiter:
    """Counts wrong log-ins per client (tokens compared in constant time); a client with
    MAX_FAILURES recent wrong ones must wait."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = FAILURE_WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures, self.window = max_failures, window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def blocked_for(self, client: str) -> int:
        """Whole seconds `client` must wait before trying again (0: may try now)."""
        times = self._recent(client)
        if len(times) < self.max_failures:
            return 0
        return max(1, int(times[0] + self.window - self._clock() + 0.999))

    def reserve(self, client: str) -> float | None:
        """Count a log-in against `client` before it is judged (so log-ins at once cannot race past
        the limit); the stamp to give back if it succeeds, None when the client must wait."""
        if self.blocked_for(client):
            return None
        stamp = self._clock()
        self._recent(client).append(stamp)
        return stamp

    def succeeded(self, client: str, stamp: float) -> None:
        """A reserved log-in was right: it no longer counts as a wrong one."""
        times = self._failures.get(client)
        if times is not None and stamp in times:
            times.remove(stamp)

    def check(self, client: str, given: bytes, expected: bytes) -> bool:
        """Compare the token; a wrong one counts against `client`."""
        if hmac.compare_digest(given, expected):
            return True
        self.failed(client)
        return False

    def failed(self, client: str) -> None:
        """Count a wrong log-in (a token, or a staff ID and secret) against `client`."""
        self._recent(client).append(self._clock())

    def _recent(self, client: str) -> deque[float]:
        horizon = self._clock() - self.window
        for other in [c for c, t in self._failures.items() if not t or t[-1] <= horizon]:
            del self._failures[other]  # forget clients whose failures all aged out
        times = self._failures.setdefault(client, deque())
        while times and times[0] <= horizon:
            times.popleft()
        return times
