"""Starts paired with stops, and named tasks that never fail silently: what the daemon is built on.

Each start registers the stop that undoes it (`on_stop`); `close` runs them last first, and a
stop that fails is logged with its traceback and the others still run (the journal's close
above all). `spawn` runs a named task whose crash is logged; `cancel_all` ends tasks, bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger("kioskd")

STOP_TASKS_SECONDS = 5.0  # how long stop waits for cancelled tasks before it closes the journal
Stop = Callable[[], Awaitable[object] | object]


class Lifecycle:
    """The stops registered so far and the tasks running."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []
        self.stop_errors: list[str] = []  # the stops that failed (each logged with its traceback)
        self._stops = contextlib.AsyncExitStack()

    def on_stop(self, name: str, stop: Stop) -> None:
        """Register what undoes a start: close() runs it, last registered first; a failure is logged."""
        self._stops.push_async_callback(self._run_stop, name, stop)

    def spawn(self, coro: Coroutine[Any, Any, object], name: str) -> asyncio.Task[None]:
        """Run `coro` as a named task until stop; a crash is logged, never silent."""
        task = asyncio.get_running_loop().create_task(_guard(coro, name), name=name)
        self.tasks.append(task)
        return task

    async def close(self) -> None:
        """Run every registered stop, last first; name the ones that failed."""
        await self._stops.aclose()
        if self.stop_errors:
            log.error("stop: %d step(s) failed: %s", len(self.stop_errors), ", ".join(self.stop_errors))

    async def _run_stop(self, name: str, stop: Stop) -> None:
        # one failing stop must not keep the others (above all the journal's close) from running
        log.debug("stop: %s", name)
        try:
            result = stop()
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("stop: %s failed", name)
            self.stop_errors.append(name)


async def _guard(coro: Coroutine[Any, Any, object], name: str) -> None:
    # the one catch-all at the loop boundary: a crashed task is logged, never silent
    try:
        await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("task %s crashed", name)


async def cancel_all(tasks: list[asyncio.Task[Any]], within: float = STOP_TASKS_SECONDS) -> None:
    """Cancel `tasks` and wait for them, at most `within` seconds: a stop must not hang on one."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    # a task can swallow its cancellation (transitions catches it inside a trigger): name it
    # and go on closing the journal rather than wait for ever
    _, pending = await asyncio.wait(tasks, timeout=within)
    if pending:
        log.error("stop: %d task(s) did not end within %.0f s: %s", len(pending), within,
                  ", ".join(sorted(t.get_name() for t in pending)))
