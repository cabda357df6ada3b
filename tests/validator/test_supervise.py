"""The supervision loop every protocol shares: the watchdog's heartbeat, the settle a stop waits for, the sink guard."""

from __future__ import annotations

import asyncio
import time

import pytest

from drivers.base import DeviceOffline, DeviceOnline, NoteCredited, NoteStacked
from kioskd.system.watchdog import heartbeat_probe
from tests.test_validator_contract import ALL, PROTOCOLS, make_harness
from tests.validator_common import TIMEOUT, running

STALL_AFTER = 0.3  # the harness polls every 20 ms: a healthy loop stamps many times in this


@pytest.fixture(params=ALL)
async def h(request, tmp_path):
    spec = PROTOCOLS[request.param]
    emu = spec.emulator(link=str(tmp_path / "validator"), **spec.emulator_kw)
    await emu.start()
    try:
        async with running(make_harness(request.param, emu)) as harness:
            await harness.until(lambda: harness.of(DeviceOnline))
            yield harness
    finally:
        await emu.stop()


async def test_the_heartbeat_stops_while_a_credit_commit_hangs_and_comes_back_after(h):
    probe = heartbeat_probe("validator poll", h.drv, STALL_AFTER)
    mark = time.monotonic()
    await h.until(lambda: h.drv.last_progress > mark)  # an idle device is polled: it beats
    assert probe.check() is None

    entered, release = asyncio.Event(), asyncio.Event()

    async def journal_disk_hangs(credit: NoteCredited) -> None:
        entered.set()
        await release.wait()

    h.commit_hook = journal_disk_hangs
    await h.drv.set_accepting(True)
    h.emu.insert(5000)
    async with asyncio.timeout(TIMEOUT):
        await entered.wait()
    stuck = h.drv.last_progress
    await h.until(lambda: probe.check() is not None)  # the watchdog would stop pinging
    assert h.drv.last_progress == stuck and h.credits == []  # (CCNET, ccTalk: already in the box)

    release.set()  # the disk answers: the credit lands and the loop beats again
    await h.until(lambda: h.of(NoteStacked) and probe.check() is None)
    assert h.credits == [NoteCredited("validator", 5000)] and h.emu.stacked == [5000]


async def test_a_silent_device_is_offline_not_stalled(h):
    h.emu.set_fault("silence", True)
    await h.until(lambda: h.of(DeviceOffline))
    mark = time.monotonic()
    # each connection attempt (and the back-off before it) is progress
    await h.until(lambda: h.drv.last_progress > mark)
    async with asyncio.timeout(0):  # offline, nothing can be reported: a stop does not wait
        await h.drv.settle(2)


async def test_settle_waits_for_polls_that_start_after_it(h):
    await h.drv.set_accepting(False)
    mark = time.monotonic()
    async with asyncio.timeout(TIMEOUT):
        await h.drv.settle(2)
    assert h.drv.last_progress > mark  # a poll begun after the call has completed



@pytest.mark.parametrize("proto", ["id003", "ccnet", "ssp"])  # they say a note is being read
async def test_a_still_settle_returns_once_a_note_being_read_at_the_inhibit_is_at_rest(proto, tmp_path):
    spec = PROTOCOLS[proto]
    emu = spec.emulator(delay=0.5, link=str(tmp_path / "validator"), **spec.emulator_kw)  # a slow reader
    await emu.start()
    try:
        async with running(make_harness(proto, emu)) as h:
            await h.until(lambda: h.of(DeviceOnline))
            await h.drv.set_accepting(True)
            emu.insert(5000)
            await h.until(lambda: emu._note == 5000)  # the reader has it
            await h.drv.set_accepting(False)  # a stop's inhibit
            async with asyncio.timeout(TIMEOUT):
                await h.drv.settle(2, still=True)
            # handed back (refused while inhibited): nothing left in the reader when the stop goes on
            assert emu._note is None and emu.returned + emu.rejected == [5000] and emu.stacked == []
    finally:
        await emu.stop()

@pytest.mark.parametrize("proto", ALL)
async def test_a_failing_event_sink_does_not_stop_the_polling_that_guards_the_money(proto, tmp_path):
    spec = PROTOCOLS[proto]
    emu = spec.emulator(link=str(tmp_path / "validator"), **spec.emulator_kw)
    await emu.start()
    try:
        h = make_harness(proto, emu)
        recorded = h.sink

        def screen_gone(event) -> None:  # a consumer that breaks on every event after taking it
            recorded(event)
            raise RuntimeError("the screen's queue is gone")

        h.sink = screen_gone
        async with running(h):
            await h.until(lambda: h.of(DeviceOnline))
            await h.drv.set_accepting(True)
            h.emu.insert(5000)
            await h.until(lambda: h.credits and h.emu.stacked)
            assert h.credits == [NoteCredited("validator", 5000)] and h.emu.stacked == [5000]
            mark = time.monotonic()
            await h.until(lambda: h.drv.last_progress > mark)  # still polling
            assert not h.task.done() and h.of(DeviceOffline) == []
    finally:
        await emu.stop()
