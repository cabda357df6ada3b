"""Ledger calls reach the ledger thread and come back with their result, their error, or not at all."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from kioskd.ledger.errors import LedgerError
from kioskd.ledger.handoff import on_thread


async def test_result_and_error_come_back_from_the_thread() -> None:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
    try:
        name = await on_thread(executor, lambda: threading.current_thread().name)
        assert name.startswith("ledger")

        def refused() -> None:
            raise LedgerError("journal: refused")

        with pytest.raises(LedgerError, match="refused"):
            await on_thread(executor, refused)
    finally:
        executor.shutdown(wait=True)


async def test_a_call_given_up_before_the_thread_reaches_it_does_not_run() -> None:
    executor = ThreadPoolExecutor(max_workers=1)
    release, ran = threading.Event(), []
    try:
        busy = asyncio.ensure_future(on_thread(executor, lambda: release.wait(10)))
        waiting = asyncio.ensure_future(on_thread(executor, lambda: ran.append("second")))
        await asyncio.sleep(0)  # one loop turn (not a wait): both tasks run up to their submit
        waiting.cancel()
        release.set()
        assert await busy is True
        await on_thread(executor, lambda: ran.append("third"))  # the thread has passed the second
        assert ran == ["third"]
        assert waiting.cancelled()
    finally:
        release.set()
        executor.shutdown(wait=True)
