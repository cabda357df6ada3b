"""Benchmark: notes through driver <-> emulator on a pty; turnaround measured at the emulator.

Prints p50/p99/max of first ESCROW sent -> STACK received and of first VEND VALID sent ->
ACK received, with a real write+fsync in the credit commit (a stand-in for the journal).
Run from the repository root, in its venv (`make test` builds it): .venv/bin/python -m bench.id003_turnaround [NOTES]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time

from drivers.base import DeviceOnline, NoteCredited, NoteEscrowed, NoteStacked
from drivers.validator.emulators.id003_emu import Id003Emulator
from drivers.validator.id003_device import Id003Validator

VALUES = (100, 500, 1000, 2000, 5000, 10000)


def _figures(name: str, xs: list[float]) -> str:
    ms = sorted(x * 1000 for x in xs)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return (f"{name}: n={len(ms)} p50={statistics.median(ms):.2f} ms p99={p99:.2f} ms "
            f"max={ms[-1]:.2f} ms")


async def run(notes: int) -> None:
    emu = Id003Emulator()
    await emu.start()
    drv = Id003Validator(emu.port, poll_interval=0.002, reply_timeout=0.5)
    online = asyncio.Event()
    done = asyncio.Event()
    stacked = 0
    fd, path = tempfile.mkstemp(prefix="id003-journal-")
    fsync_times: list[float] = []

    def sink(event) -> None:
        nonlocal stacked
        if isinstance(event, DeviceOnline):
            online.set()
        elif isinstance(event, NoteEscrowed):
            asyncio.get_running_loop().create_task(drv.stack())
        elif isinstance(event, NoteStacked):
            stacked += 1
            if stacked == notes:
                done.set()

    async def commit(credit: NoteCredited) -> None:
        t = time.perf_counter()
        await asyncio.to_thread(_journal_write, fd, credit.value)
        fsync_times.append(time.perf_counter() - t)

    task = asyncio.create_task(drv.run(sink, commit))
    try:
        await asyncio.wait_for(online.wait(), 5)
        await drv.set_accepting(True)
        for i in range(notes):
            emu.insert(VALUES[i % len(VALUES)])
        t0 = time.perf_counter()
        await asyncio.wait_for(done.wait(), notes * 0.5)
        wall = time.perf_counter() - t0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await emu.stop()
        os.close(fd)
        os.unlink(path)
    assert len(emu.stacked) == notes and sum(emu.stacked) == sum(
        VALUES[i % len(VALUES)] for i in range(notes)
    )
    print(f"{notes} notes in {wall:.1f} s (poll interval 2 ms), emulator stacked {len(emu.stacked)}")
    print(_figures("escrow sent -> STACK received", emu.escrow_to_stack))
    print(_figures("VEND VALID sent -> ACK received (incl. fsync)", emu.vend_to_ack))
    print(_figures("commit write+fsync alone", fsync_times))


def _journal_write(fd: int, value: int | None) -> None:
    os.write(fd, f"{value}\n".encode())
    os.fsync(fd)


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
