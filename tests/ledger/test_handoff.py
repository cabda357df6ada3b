"""Ledger calls reach the ledger thread and come back with their result, their error, or not at all."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

from kioskd.ledger.errors import LedgerError
from kioskd.ledger.handoff import LedgerThread


async def test_result_and_error_come_back_from_the_thread_in_order() -> None:
    thread = LedgerThread()
    try:
        assert await thread.run(lambda: threading.current_thread().name) == "ledger"
        done: list[int] = []
        await asyncio.gather(*(thread.run(lambda n=n: done.append(n)) for n in range(20)))
        assert done == list(range(20))

        def refused() -> None:
            raise LedgerError("journal: refused")

        with pytest.raises(LedgerError, match="refused"):
            await thread.run(refused)
    finally:
        thread.stop()
        thread.stop()


async def test_a_call_given_up_before_the_thread_reaches_it_does_not_run() -> None:
    thread = LedgerThread()
    release, ran = threading.Event(), []
    try:
        busy = asyncio.ensure_future(thread.run(lambda: release.wait(10)))
        waiting = asyncio.ensure_future(thread.run(lambda: ran.append("second")))
        await asyncio.sleep(0)  # one loop turn (not a wait): both tasks run up to their put
        waiting.cancel()
        release.set()
        assert await busy is True
        await thread.run(lambda: ran.append("third"))  # the thread has passed the second
        assert ran == ["third"]
        assert waiting.cancelled()
    finally:
        release.set()
        thread.stop()


async def test_stop_waits_for_the_calls_queued_and_a_forgotten_thread_ends() -> None:
    thread = LedgerThread()
    release, ran = threading.Event(), []
    queued = [asyncio.ensure_future(thread.run(lambda: release.wait(10))),
              asyncio.ensure_future(thread.run(lambda: ran.append("queued")))]
    await asyncio.sleep(0)  # one loop turn: both calls are queued
    release.set()
    thread.stop()  # returns once the thread has run both
    assert ran == ["queued"]
    assert [await call for call in queued] == [True, None]

    forgotten = LedgerThread(name="ledger-forgotten")
    await forgotten.run(int)
    worker = next(t for t in threading.enumerate() if t.name == "ledger-forgotten")
    del forgotten
    gc.collect()
    worker.join(10)
    assert not worker.is_alive()
