"""Shared test pieces for the bill-validator drivers: a harness that runs a driver on an emulator."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from drivers.base import BillValidator, DeviceOnline, NoteCredited, NoteEscrowed

TIMEOUT = 15.0  # a generous bound on waits for what must happen (passing waits take milliseconds)
VECTORS_PATH = Path(__file__).resolve().parent / "vectors" / "protocols.json"


class Harness:
    """Runs a driver against an emulator; records events and credits; waits on conditions."""

    def __init__(self, driver: Callable[..., BillValidator], emu, **kw) -> None:
        self.emu = emu
        self.drv = driver(emu.port, poll_interval=0.02, reply_timeout=0.1, **kw)
        self.events: list = []
        self.credits: list[NoteCredited] = []
        self.credit_ns: list[int] = []
        self.on_escrow: str | None = "stack"
        self.commit_hook = None
        self._changed = asyncio.Event()
        self.task: asyncio.Task | None = None

    def sink(self, event) -> None:
        """The driver's event sink: records, and stacks or returns an escrowed note if told to."""
        self.events.append(event)
        self._changed.set()
        if isinstance(event, NoteEscrowed) and self.on_escrow:
            op = self.drv.stack if self.on_escrow == "stack" else self.drv.return_note
            asyncio.get_running_loop().create_task(op())

    async def commit(self, credit: NoteCredited) -> None:
        """The driver's commit: runs the test's hook first (it may fail or hang), then records."""
        if self.commit_hook:
            await self.commit_hook(credit)
        self.credits.append(credit)
        self.events.append(credit)  # in order with the sink's events
        self.credit_ns.append(time.monotonic_ns())
        self._changed.set()

    def start(self) -> None:
        """Run the driver in a task."""
        self.task = asyncio.create_task(self.drv.run(self.sink, self.commit))

    async def stop(self) -> None:
        """Cancel the driver's task, as a killed daemon would leave it."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def until(self, pred: Callable[[], object], within: float = TIMEOUT) -> None:
        """Wait (bounded) until pred() holds; re-checks on each event and every 10 ms."""
        deadline = time.monotonic() + within
        while not pred():
            self._check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met in {within}s; events: {self.events}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.01):
                    await self._changed.wait()

    def _check_alive(self) -> None:
        """Fail at once, with its error, when the driver's task died: no event can come any more."""
        task = self.task
        if task is not None and task.done() and not task.cancelled():
            err = task.exception()
            raise AssertionError(f"the driver's task ended: {err!r}; events: {self.events}") from err

    def of(self, kind) -> list:
        """The recorded events of one kind, in order."""
        return [e for e in self.events if isinstance(e, kind)]


def emulator_fixture(
    emulator: Callable[..., Any], vary: tuple[str, list] | None = None, **kw
) -> Callable:
    """A pytest fixture `emu`: emulator(**kw) on a pty linked in tmp_path, started and stopped.

    vary=(name, values) runs every test once per value of that emulator setting.
    """

    @pytest.fixture(params=vary[1] if vary else None)
    async def emu(request, tmp_path):
        settings = {vary[0]: request.param} if vary else {}
        e = emulator(link=str(tmp_path / "validator"), **settings, **kw)
        await e.start()
        yield e
        await e.stop()

    return emu


def online_harness_fixture(make: Callable[..., Harness], **kw) -> Callable:
    """A pytest fixture `h`: a harness from make(emu, **kw), started and seen online."""

    @pytest.fixture
    async def h(emu):
        harness = make(emu, **kw)
        harness.start()
        await harness.until(lambda: harness.of(DeviceOnline))
        yield harness
        await harness.stop()

    return h


@contextlib.asynccontextmanager
async def running(harness: Harness):
    """Run the harness's driver for the `async with` block; stop it however the block ends."""
    harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def crash_in_the_commit(first: Harness, value: int = 10000) -> None:
    """Run `first` until it sits in the commit of a credit for `value`, then kill it."""
    blocked = asyncio.Event()

    async def hang(credit):
        blocked.set()
        await asyncio.Event().wait()  # the daemon dies here, before the device hears of it

    first.commit_hook = hang
    first.start()
    await first.until(lambda: first.of(DeviceOnline))
    await first.drv.set_accepting(True)
    first.emu.insert(value)
    async with asyncio.timeout(TIMEOUT):
        await blocked.wait()
    await first.stop()


async def die_with_a_note_in_escrow(first: Harness, value: int) -> None:
    """Run `first` until a note of `value` waits in escrow undecided, then kill it."""
    first.on_escrow = None  # the daemon dies while the note waits in escrow
    first.start()
    await first.until(lambda: first.of(DeviceOnline))
    await first.drv.set_accepting(True)
    first.emu.insert(value)
    await first.until(lambda: first.of(NoteEscrowed))
    # Killed between polls, once the poll that read the escrow is done: cancelling the task
    # mid-poll would leave that poll's state-file write running in its thread (a killed process
    # takes it along), racing the next driver's write of the same file.
    await first.drv.settle(1)
    await first.stop()


def published_vectors(*protocols: str) -> list[dict]:
    """The shared protocol test vectors whose `protocol` is one of `protocols`."""
    vectors = json.loads(VECTORS_PATH.read_text())["vectors"]
    return [v for v in vectors if v["protocol"] in protocols]


def feed_in_chunks(parser, data: bytes, chunk: int) -> list:
    """Feed `data` to a stream parser `chunk` bytes at a time; the frames it gave, in order."""
    got: list = []
    for i in range(0, len(data), chunk):
        got += parser.feed(data[i : i + chunk])
    return got


def all_in_order(got: Iterable, want: Iterable) -> bool:
    """Whether every item of `want` comes out of `got` in order (extra items in between allowed)."""
    it = iter(got)
    return all(any(g == w for g in it) for w in want)
