"""Calls from the event loop to the ledger thread, answered straight back to the loop.

`loop.run_in_executor` chains a concurrent Future into an asyncio one (a lock, a condition and
two callbacks each way); that cost ~40 us per call of the ~100 us a ledger call spent between
the threads (bench/journal_commit.py), and every note credited pays it before its ACK. Here the
job itself hands its outcome to the loop with one `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


async def on_thread(executor: ThreadPoolExecutor, call: Callable[[], T]) -> T:
    """Run `call` on `executor`'s thread and wait for its result (or exception) on this loop."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[T] = loop.create_future()
    executor.submit(_run_and_answer, loop, answer, call)
    return await answer


def _run_and_answer(loop: asyncio.AbstractEventLoop, answer: asyncio.Future[Any], call: Callable[[], Any]) -> None:
    if answer.cancelled():  # the caller gave up before the thread got to it, as run_in_executor skips it
        return
    try:
        outcome: tuple[Any, BaseException | None] = (call(), None)
    except BaseException as err:  # the caller gets it, as from run_in_executor
        outcome = (None, err)
    try:
        loop.call_soon_threadsafe(_settle, answer, *outcome)
    except RuntimeError:  # the loop is closed: no one waits for the answer any more
        pass


def _settle(answer: asyncio.Future[Any], result: Any, err: BaseException | None) -> None:
    if answer.done():  # cancelled meanwhile
        return
    if err is None:
        answer.set_result(result)
    else:
        answer.set_exception(err)
