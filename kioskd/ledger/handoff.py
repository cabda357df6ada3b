"""The ledger's own thread: calls from the event loop run there in order, answered straight back to the loop.

A note is ACKed only once its credit committed, and the credit crosses to this thread and back.
`loop.run_in_executor` on a ThreadPoolExecutor spent ~100 us a call in that crossing under load
(a concurrent Future chained into an asyncio one: locks, a condition, callbacks each way, and its
worker kept the GIL after answering, so the woken loop waited for it). Here a call is one queue
item, and the thread answers with one `call_soon_threadsafe` and goes straight back to waiting
(the GIL free): the crossing alone measured p10 68 -> 31 us (bench/journal_commit.py prints it).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_Call = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]


class LedgerThread:
    """One thread that runs calls one after the other (it owns the SQLite connection)."""

    def __init__(self, name: str = "ledger") -> None:
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=_serve, args=(self._calls,), name=name, daemon=True)
        self._thread.start()
        # forgotten without stop(), or at exit: the thread finishes the calls queued, then ends
        self._stop = weakref.finalize(self, _stop, self._calls, self._thread)

    async def run(self, call: Callable[[], T]) -> T:
        """Run `call` on the thread and wait for its result (or exception) on this loop."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[T] = loop.create_future()
        self._calls.put((loop, answer, call))
        return await answer

    def stop(self) -> None:
        """End the thread once the calls queued before have run; idempotent."""
        self._stop()


def _serve(calls: queue.SimpleQueue[_Call | None]) -> None:
    while (item := calls.get()) is not None:
        _answer(*item)
        del item  # hold nothing of a call while waiting for the next


def _answer(loop: asyncio.AbstractEventLoop, answer: asyncio.Future[Any], call: Callable[[], Any]) -> None:
    if answer.cancelled():  # the caller gave up before the thread got to it: skipped
        return
    try:
        outcome: tuple[Any, BaseException | None] = (call(), None)
    except BaseException as err:  # the caller gets it, as from run_in_executor
        outcome = (None, err)
    try:
        loop.call_soon_threadsafe(_settle, answer, *outcome)
    except RuntimeError:  # the loop is closed: no one waits for the answer any more
        pass


def _stop(calls: queue.SimpleQueue[_Call | None], thread: threading.Thread) -> None:
    calls.put(None)
    if thread is not threading.current_thread():
        thread.join()


def _settle(answer: asyncio.Future[Any], result: Any, err: BaseException | None) -> None:
    if answer.done():  # cancelled meanwhile
        return
    if err is None:
        answer.set_result(result)
    else:
        answer.set_exception(err)
