"""Stopping the daemon's tasks: bounded, even when a task swallows its cancellation."""

from __future__ import annotations

import asyncio
import logging

import pytest

from kioskd.system.lifecycle import cancel_all

pytestmark = pytest.mark.looptime


async def test_a_task_that_swallows_cancellation_does_not_hang_the_stop(caplog: pytest.LogCaptureFixture) -> None:
    never = asyncio.Event()

    async def stubborn() -> None:
        while not never.is_set():
            try:
                await never.wait()
            except asyncio.CancelledError:
                continue  # as a library catching CancelledError inside a callback would

    polite = asyncio.create_task(asyncio.Event().wait(), name="polite")
    stuck = asyncio.create_task(stubborn(), name="stuck")
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with caplog.at_level(logging.ERROR, logger="kioskd"):
        await cancel_all([polite, stuck], within=5.0)
    assert loop.time() - started == pytest.approx(5.0)
    assert polite.cancelled() and not stuck.done()
    assert "1 task(s) did not end within 5 s: stuck" in caplog.text
    never.set()  # let it end, so the test's loop closes cleanly
    await stuck


async def test_tasks_that_end_are_waited_for_without_delay() -> None:
    tasks = [asyncio.create_task(asyncio.Event().wait()) for _ in range(3)]
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await cancel_all(tasks, within=5.0)
    assert all(t.cancelled() for t in tasks) and loop.time() - started < 0.1
