"""Group commit: the store calls of many requests in one transaction, answered after its one commit.

A commit costs a disk flush (fsync) and several round trips; one per request capped the backend
at a few hundred requests a second. Calls queue here; one thread takes all that are waiting, runs
them in one transaction (each store method joins it instead of opening its own) and commits, and
only then are their answers given: a 200 still means stored. If any call of a group fails, the
group is rolled back and each of its calls runs again in a transaction of its own, so one bad call
costs the others time, never their answer; the store's rules (idempotency, chain checks, locks)
make running a call again safe.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from refbackend.sql import Sql, write_touches

MAX_GROUP = 256  # calls per transaction: bounds how long one commit holds its locks
# A group runs its calls in this order (stable: one kiosk's calls keep theirs): those that lock an
# account by account, then those that lock a kiosk's rows by kiosk, then the rest; kiosk rows are
# touched last, in kiosk order. Two workers' groups then take shared locks in one order and cannot
# deadlock on them (PostgreSQL would abort one only after deadlock_timeout, 1 s).
ACCOUNT, KIOSK, OTHER = "0", "1", "2"
Call = tuple[asyncio.Future, Callable[..., Any], tuple, tuple[str, str]]


class Groupable(Protocol):
    """A store whose methods join an open group transaction on the thread that opened it."""

    def group(self) -> AbstractContextManager[None]: ...


class GroupRunner:
    """Runs blocking store calls on one thread, as many per transaction as are waiting."""

    def __init__(self, store: Groupable, threads: int = 1, max_group: int = MAX_GROUP) -> None:
        self.store, self.max_group = store, max_group
        self._queue: queue.SimpleQueue[Call | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, name=f"refbackend-store-{n}", daemon=True)
                         for n in range(threads)]
        for thread in self._threads:
            thread.start()

    async def call(self, method: Callable[..., Any], *args: Any, order: tuple[str, str] = (OTHER, "")) -> Any:
        """Run `method(*args)` on the store thread; its result once the transaction holding it committed.

        `order`: (ACCOUNT, account) for a call that locks that account, (KIOSK, kiosk) for one that
        locks rows of that kiosk.
        """
        future = asyncio.get_running_loop().create_future()
        self._queue.put((future, method, args, order))
        return await future

    def close(self) -> None:
        """Finish the calls already queued, then stop the threads."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first, *self._waiting()]
            stop = group[-1] is None
            calls = [c for c in group if c is not None]
            _deliver(calls, self._outcomes(calls))
            if stop:
                return

    def _waiting(self) -> Iterator[Call | None]:
        for _ in range(self.max_group - 1):
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            yield item
            if item is None:
                return

    def _outcomes(self, calls: list[Call]) -> list[tuple[bool, Any]]:
        if len(calls) > 1:
            results: list[tuple[bool, Any]] = [(False, None)] * len(calls)
            try:
                with self.store.group():
                    for i in sorted(range(len(calls)), key=lambda i: calls[i][3]):
                        results[i] = (True, calls[i][1](*calls[i][2]))
                return results
            except Exception:  # noqa: BLE001 - rolled back: each call again, alone, gets its own answer
                pass
        return [_alone(self.store, method, args) for _, method, args, _ in calls]


def _alone(store: Groupable, method: Callable[..., Any], args: tuple) -> tuple[bool, Any]:
    try:
        with store.group():
            return True, method(*args)
    except Exception as err:  # noqa: BLE001 - handed to the caller's await
        return False, err


def _deliver(calls: list[Call], outcomes: list[tuple[bool, Any]]) -> None:
    """Hand each caller its outcome on its event loop (one wake-up per loop, not one per call)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, tuple[bool, Any]]]] = {}
    for (future, _, _, _), outcome in zip(calls, outcomes, strict=True):
        by_loop.setdefault(future.get_loop(), []).append((future, outcome))
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, pairs)
        except RuntimeError:  # the loop closed while its calls ran: nobody waits for them
            pass


def _settle(pairs: list[tuple[asyncio.Future, tuple[bool, Any]]]) -> None:
    for future, (ok, value) in pairs:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class GroupedTransactions:
    """Transactions of a store, and the group transaction that its methods join (mixed into both stores).

    A store gives `_open_tx()` (its engine's own transaction) and `POSTGRES`. Inside `group()`,
    on the thread that opened it, every `_tx()` and `transaction()` is that one transaction, and
    each kiosk's last contact is written once, at the end, in kiosk order (touch()).
    """

    POSTGRES = False
    _joined: tuple[int, Any, dict[str, str]] | None = None  # (thread, handle, touches) of an open group

    def _open_tx(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _in_group(self) -> tuple[int, Any, dict[str, str]] | None:
        joined = self._joined
        return joined if joined is not None and joined[0] == threading.get_ident() else None

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        joined = self._in_group()
        if joined is not None:
            yield joined[1]
            return
        with self._open_tx() as handle:
            yield handle

    def _sql(self, handle: Any) -> Sql:
        joined = self._in_group()
        return Sql(handle, self.POSTGRES, None if joined is None else joined[2])

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        """One transaction (or the open group's): committed when the block ends, rolled back on an error."""
        with self._tx() as handle:
            yield self._sql(handle)

    @contextmanager
    def group(self) -> Iterator[None]:
        """One transaction that every store method called on this thread joins, until the block ends."""
        with self._open_tx() as handle:
            touches: dict[str, str] = {}
            self._joined = (threading.get_ident(), handle, touches)
            try:
                yield
            finally:
                self._joined = None
            write_touches(Sql(handle, self.POSTGRES), touches)
