"""The ID-003 driver against the emulator over a real pty: what the machine and the money see."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest

from drivers.base import (
    BillValidator,
    DeviceOnline,
    JamCleared,
    NoteCredited,
    NoteEscrowed,
    NoteJam,
    NoteStacked,
    PowerUpWithBill,
)
from drivers.validator.emulators.id003_emu import Id003Emulator
from drivers.validator.id003 import Status
from drivers.validator.id003_device import Id003Validator
from tests.validator_common import (
    Harness,
    crash_in_the_commit,
    die_with_a_note_in_escrow,
    emulator_fixture,
    online_harness_fixture,
    running,
)

make_harness = partial(Harness, Id003Validator)  # (emu, **driver settings)
emu = emulator_fixture(Id003Emulator)
h = online_harness_fixture(make_harness)


async def test_power_up_reads_the_table_and_starts_inhibited(h):
    assert isinstance(h.drv, BillValidator)
    assert h.drv.denominations() == (100, 500, 1000, 2000, 5000, 10000)
    assert not h.emu.accepting
    h.emu.insert(1000)
    await h.until(lambda: h.emu.status == Status.DISABLED)
    assert not h.of(NoteEscrowed)  # inhibited: the slot stays shut, the note stays out
    await h.drv.set_accepting(True)
    await h.drv.set_accepting(True)  # idempotent
    assert h.emu.accepting
    await h.until(lambda: h.of(NoteStacked))
    await h.drv.set_accepting(False)
    assert not h.emu.accepting
    assert h.of(NoteEscrowed) == [NoteEscrowed("validator", 1000)]


async def test_credit_is_committed_before_the_ack_reaches_the_wire(h):
    seen_acks_during_commit = []

    async def slow_commit(credit):
        await asyncio.sleep(0.05)  # a journal fsync; the device must still be waiting
        seen_acks_during_commit.append(len(h.emu.ack_times))

    h.commit_hook = slow_commit
    await h.drv.set_accepting(True)
    h.emu.insert(10000)
    await h.until(lambda: h.of(NoteStacked))
    assert h.credits == [NoteCredited("validator", 10000)]
    assert seen_acks_during_commit == [0]
    assert len(h.emu.ack_times) == 1 and h.credit_ns[0] < h.emu.ack_times[0]
    assert h.of(NoteStacked) == [NoteStacked("validator", 10000)]
    assert h.emu.stacked == [10000]


async def test_jam_in_the_acceptor_returns_the_note(h):
    h.emu.set_fault("jam_acceptor", True)
    await h.drv.set_accepting(True)
    h.emu.insert(100)
    await h.until(lambda: h.of(NoteJam))
    assert h.of(NoteJam) == [NoteJam("validator", "acceptor")]
    h.emu.set_fault("jam_acceptor", False)
    await h.until(lambda: h.of(JamCleared) and h.emu.returned == [100])
    assert not h.credits


async def _crash_at_vend_valid(emu) -> None:
    """Run a driver until it sits in the commit of a VEND VALID, then kill it."""
    await crash_in_the_commit(make_harness(emu))
    assert emu.status == Status.VEND_VALID and emu.stacked == []


@pytest.mark.parametrize("power_cycle", [False, True])
async def test_note_in_flight_across_a_crash_is_credited_without_value(emu, power_cycle):
    await _crash_at_vend_valid(emu)
    if power_cycle:
        emu.set_fault("power_cycle", True)
        emu.set_fault("power_cycle", False)
        assert emu.status == Status.POWER_UP_BILL_IN_STACKER
    async with running(make_harness(emu)) as second:
        await second.until(lambda: second.of(DeviceOnline))
        assert second.credits == [NoteCredited("validator", None)]
        kinds = [type(e) for e in second.events]
        assert kinds.index(NoteCredited) < kinds.index(DeviceOnline)
        if power_cycle:
            assert second.of(PowerUpWithBill) == [PowerUpWithBill("validator", "stacker")]
        assert emu.stacked == [10000]
        assert not emu.accepting  # the new driver starts inhibited


async def test_power_up_with_bill_in_acceptor_returns_it(emu):
    await die_with_a_note_in_escrow(make_harness(emu), 2000)
    emu.set_fault("power_cycle", True)
    emu.set_fault("power_cycle", False)
    async with running(make_harness(emu)) as second:
        await second.until(lambda: second.of(DeviceOnline))
        assert second.of(PowerUpWithBill) == [PowerUpWithBill("validator", "acceptor")]
        assert not second.credits and emu.returned == [2000] and emu.stacked == []


async def test_a_note_caught_stacking_at_start_up_is_waited_for_and_credited(tmp_path):
    # Found by the SIGKILL harness: a RESET sent while the note is STACKING stacks it
    # silently, so the restarted driver must poll until VEND VALID and credit it first.
    emu = Id003Emulator(delay=0.2, link=str(tmp_path / "slow-validator"))
    await emu.start()
    try:
        first = make_harness(emu)
        first.start()
        await first.until(lambda: first.of(DeviceOnline))
        await first.drv.set_accepting(True)
        emu.insert(5000)
        await first.until(lambda: emu.status == Status.STACKING)
        emu.delay = 3600  # the note stays STACKING until the first driver is gone, however slow the machine
        await first.stop()  # the daemon dies with the note going into the box
        emu.delay = 0.2
        async with running(make_harness(emu)) as second:
            await second.until(lambda: second.of(DeviceOnline))
            assert second.credits == [NoteCredited("validator", None)]
            kinds = [type(e) for e in second.events]
            assert kinds.index(NoteCredited) < kinds.index(DeviceOnline)
            assert emu.stacked == [5000]
    finally:
        await emu.stop()


async def test_a_stacked_status_lost_on_the_wire_still_ends_the_note(h):
    """STACKED lasts one status on the emulator (a short while on a unit): its reply spoiled (or late,
    under load) is asked again and the device is idle by then. The note, credited and ACKed, landed:
    NoteStacked is still reported, once, or the kiosk would wait in stacking for it."""
    spoil = h.emu._damage
    spoiled: list[bytes] = []

    def once_after_the_ack(reply: bytes, *, corrupt: bool = False) -> bytes:
        if h.emu.stacked and not spoiled:  # the first reply after the ACK: STACKED
            spoiled.append(reply)
            return spoil(reply, corrupt=True)
        return spoil(reply, corrupt=corrupt)

    h.emu._damage = once_after_the_ack
    await h.drv.set_accepting(True)
    h.emu.insert(2000)
    await h.until(lambda: h.of(NoteStacked))
    assert spoiled[0][2] == Status.STACKED  # the reply lost was the STACKED status
    h.emu.insert(1000)  # and the next note is its own
    await h.until(lambda: len(h.of(NoteStacked)) == 2)
    assert h.of(NoteStacked) == [NoteStacked("validator", 2000), NoteStacked("validator", 1000)]
    assert h.credits == [NoteCredited("validator", 2000), NoteCredited("validator", 1000)]
