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
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from refbackend.sql import Sql, write_touches

log = logging.getLogger(__name__)

MAX_GROUP = 256  # calls per transaction: bounds how long one commit holds its locks
# A group runs its calls in this order (then by each call's key): those that lock an account,
# then those that lock a kiosk's rows, then the rest; kiosk rows are touched last, in kiosk order.
ACCOUNT, KIOSK, OTHER = "0", "1", "2"


@dataclass(frozen=True)
class Takes:
    """Where a call runs in its group, and the contested locks it takes.

    One global lock order: named (advisory) locks, sorted; then account rows, sorted; then a
    kiosk's rows by kiosk; then the rest. A call alone follows it by itself (a payment, re-credit
    or void takes its cash's named lock before the account). A group takes every named lock and
    account of its calls first, in that order, before it runs any call: two groups (two workers)
    then never each hold what the other waits for, which PostgreSQL would break only after
    deadlock_timeout (1 s) by aborting one, its calls then run again one by one.
    """

    rank: str = OTHER
    key: tuple[str, ...] = ()  # the order among calls of one rank (stable: equal keys keep theirs)
    names: tuple[str, ...] = ()  # advisory locks (pg_advisory_xact_lock), e.g. cash_lock()
    accounts: tuple[str, ...] = ()  # account rows (SELECT ... FOR UPDATE)


NO_LOCKS = Takes()  # a read, or a call that locks nothing another group may hold
Call = tuple[asyncio.Future, Callable[..., Any], tuple, Takes]


class Groupable(Protocol):
    """A store whose methods join an open group transaction on the thread that opened it."""

    def group(self) -> AbstractContextManager[None]: ...
    def lock_first(self, names: Sequence[str], accounts: Sequence[str]) -> None: ...


class GroupRunner:
    """Runs blocking store calls on one thread, as many per transaction as are waiting."""

    def __init__(self, store: Groupable, threads: int = 1, max_group: int = MAX_GROUP) -> None:
        self.store, self.max_group = store, max_group
        self._queue: queue.SimpleQueue[Call | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, name=f"refbackend-store-{n}", daemon=True)
                         for n in range(threads)]
        for thread in self._threads:
            thread.start()

    def call(self, method: Callable[..., Any], *args: Any, takes: Takes = NO_LOCKS) -> asyncio.Future:
        """Queue `method(*args)` for the store thread (now, not when awaited); the future's result
        comes once the transaction holding it committed. `takes`: the locks it takes, see Takes."""
        future = asyncio.get_running_loop().create_future()
        self._queue.put((future, method, args, takes))
        return future

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
                    self.store.lock_first(sorted({n for *_, t in calls for n in t.names}),
                                          sorted({a for *_, t in calls for a in t.accounts}))
                    for i in sorted(range(len(calls)), key=lambda i: (calls[i][3].rank, calls[i][3].key)):
                        results[i] = (True, calls[i][1](*calls[i][2]))
                return results
            except Exception as err:  # noqa: BLE001 - rolled back: each call again, alone, gets its own answer
                log.info("a group of %d store calls rolled back (%s); each runs again alone", len(calls), err)
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

    def lock_first(self, names: Sequence[str], accounts: Sequence[str]) -> None:
        """Take these named locks, then these account rows, each in sorted order (see Takes).

        In the open transaction, until it ends; SQLite needs none (one writer at a time).
        """
        if not self.POSTGRES or not (names or accounts):
            return
        with self.transaction() as sql:
            # unnest() yields the names in the array's order, so the locks are taken in that order
            sql.run("SELECT pg_advisory_xact_lock(hashtextextended(name, 0)) FROM unnest(?::text[]) AS name",
                    (sorted(names),))
            sql.run('SELECT 1 FROM accounts WHERE account = ANY(?) ORDER BY account COLLATE "C" FOR UPDATE',
                    (sorted(accounts),))

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
