"""Poll pacing, every protocol: an enabled validator follows the customer's note without the idle interval."""

from __future__ import annotations

import time

import pytest

from drivers.base import DeviceOnline, NoteCredited, NoteEscrowed, NoteStacked
from tests.test_validator_contract import ALL, PROTOCOLS, make_harness
from tests.validator_common import Harness, running

IDLE_POLL = 3600.0  # an idle interval no test could sit out: a note seen at all was not waited for


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


async def long_idle_poll(h: Harness) -> None:
    """Give the inhibited driver an hour between polls, and let it start such a wait."""
    h.drv.poll_interval = IDLE_POLL
    mark = time.monotonic()
    # the heartbeat (supervise.py) is stamped after each poll, just before the wait for the next
    await h.until(lambda: h.drv.last_progress > mark)
    assert not h.drv._accepting


async def test_enabling_polls_at_once_and_a_note_is_counted_without_the_idle_wait(h):
    await long_idle_poll(h)
    await h.drv.set_accepting(True)
    h.emu.insert(5000)
    await h.until(lambda: h.of(NoteStacked) and h.emu.ack_times)
    assert h.of(NoteEscrowed) == [NoteEscrowed("validator", 5000)]
    assert h.credits == [NoteCredited("validator", 5000)]
    assert h.emu.stacked == [5000]
    assert len(h.emu.ack_times) == 1 and h.credit_ns[0] < h.emu.ack_times[0]  # journal first


async def test_second_note_of_a_payment_is_also_followed(h):
    await long_idle_poll(h)
    await h.drv.set_accepting(True)
    for n, value in enumerate((1000, 2000), start=1):
        h.emu.insert(value)
        await h.until(lambda n=n: len(h.of(NoteStacked)) == n)
    assert [c.value for c in h.credits] == [1000, 2000]
    assert [e.value for e in h.of(NoteStacked)] == [1000, 2000]
    assert h.emu.stacked == [1000, 2000]


async def test_a_note_returned_on_the_machine_s_word_is_followed_back(h):
    await long_idle_poll(h)
    h.on_escrow = "return"
    await h.drv.set_accepting(True)
    h.emu.insert(1000)
    await h.until(lambda: h.emu.returned)
    assert h.emu.returned == [1000] and h.emu.stacked == [] and h.credits == []
