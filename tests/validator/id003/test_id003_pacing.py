"""ID-003 poll pacing: an enabled validator follows the customer's note without the idle interval."""

from __future__ import annotations

import time
from functools import partial

from drivers.base import NoteCredited, NoteEscrowed, NoteStacked
from drivers.validator.emulators.id003_emu import Id003Emulator
from drivers.validator.id003 import Status
from drivers.validator.id003_device import Id003Validator
from tests.validator_common import Harness, emulator_fixture, online_harness_fixture

emu = emulator_fixture(Id003Emulator)
h = online_harness_fixture(partial(Harness, Id003Validator))

IDLE_POLL = 3600.0  # an idle interval no test could sit out: a note seen at all was not waited for


async def long_idle_poll(h: Harness) -> None:
    """Give the inhibited driver an hour between polls, and let it start such a wait."""
    h.drv.poll_interval = IDLE_POLL
    mark = time.monotonic()
    # the heartbeat is stamped after each poll, just before the wait for the next one
    await h.until(lambda: h.drv.last_progress > mark)
    assert h.emu.status == Status.DISABLED


async def test_enabling_polls_at_once_and_a_note_is_counted_without_the_idle_wait(h):
    await long_idle_poll(h)
    await h.drv.set_accepting(True)
    h.emu.insert(5000)
    await h.until(lambda: h.of(NoteStacked))
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
