"""The SSP driver against the SSP emulator over a real pty: what the machine and the money see."""

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
    NoteRejected,
    NoteReturned,
    NoteStacked,
    PowerUpWithBill,
)
from drivers.validator.emulators.ssp_emu import FAULTS, SspEmulator
from drivers.validator.ssp import Cmd
from drivers.validator.ssp_device import SspValidator
from tests.validator_common import (
    Harness,
    crash_in_the_commit,
    die_with_a_note_in_escrow,
    emulator_fixture,
    online_harness_fixture,
    running,
)

make_harness = partial(Harness, SspValidator)  # (emu, **driver settings)
emu = emulator_fixture(SspEmulator)
h = online_harness_fixture(make_harness)


def test_fault_switches_match_the_id003_emulator():
    assert {"jam_stacking", "jam_acceptor", "stacker_full", "box_removed", "silence", "garbage",
            "bad_crc", "power_cycle"} <= FAULTS


async def test_setup_table_gives_fen_and_it_starts_disabled(h):
    assert isinstance(h.drv, BillValidator)
    assert h.drv.denominations() == (100, 500, 1000, 2000, 5000, 10000)
    assert h.emu.commands[:2] == [Cmd.SYNC, Cmd.HOST_PROTOCOL_VERSION]
    assert not h.emu.accepting
    h.emu.insert(1000)
    await h.until(lambda: h.emu.commands.count(Cmd.POLL_WITH_ACK) >= 5)
    assert not h.of(NoteEscrowed) and h.emu.state == "idle"  # disabled: the note stays out
    await h.drv.set_accepting(True)
    await h.drv.set_accepting(True)  # idempotent
    assert h.emu.accepting
    await h.until(lambda: h.of(NoteStacked))
    await h.drv.set_accepting(False)
    assert not h.emu.accepting
    assert h.of(NoteEscrowed) == [NoteEscrowed("validator", 1000)]
    assert h.of(NoteStacked) == [NoteStacked("validator", 1000)]


async def test_escrow_is_held_until_the_machine_decides(h):
    h.on_escrow = None
    await h.drv.set_accepting(True)
    h.emu.insert(2000)
    await h.until(lambda: h.of(NoteEscrowed))
    holds = h.emu.commands.count(Cmd.HOLD)
    await h.until(lambda: h.emu.commands.count(Cmd.HOLD) >= holds + 5)
    assert h.emu.state == "escrow" and not h.credits  # HOLD, never POLL, while undecided
    await h.drv.stack()
    await h.until(lambda: h.of(NoteStacked))
    assert h.credits == [NoteCredited("validator", 2000)] and h.emu.stacked == [2000]


async def test_credit_is_committed_before_the_event_ack_reaches_the_wire(h):
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
    assert h.emu.stacked == [10000]
    kinds = [type(e) for e in h.events]
    assert kinds.index(NoteEscrowed) < kinds.index(NoteCredited) < kinds.index(NoteStacked)


async def test_plain_poll_device_the_next_poll_waits_for_the_commit():
    emu = SspEmulator(poll_with_ack=False)
    await emu.start()
    h = make_harness(emu)
    seen = []

    async def slow_commit(credit):
        await asyncio.sleep(0.05)
        seen.append(len(emu.ack_times))

    h.commit_hook = slow_commit
    h.start()
    try:
        await h.until(lambda: h.of(DeviceOnline))
        assert "SSP (poll)" in h.of(DeviceOnline)[0].detail
        await h.drv.set_accepting(True)
        emu.insert(5000)
        await h.until(lambda: h.of(NoteStacked))
        assert seen == [0] and h.credit_ns[0] < emu.ack_times[0]
        assert h.credits == [NoteCredited("validator", 5000)] and emu.stacked == [5000]
    finally:
        await h.stop()
        await emu.stop()


async def test_jam_in_the_acceptor_hands_the_note_back(h):
    h.emu.set_fault("jam_acceptor", True)
    await h.drv.set_accepting(True)
    h.emu.insert(100)
    await h.until(lambda: h.of(NoteJam))
    assert h.of(NoteJam) == [NoteJam("validator", "acceptor")]
    h.emu.set_fault("jam_acceptor", False)
    await h.until(lambda: h.of(JamCleared) and h.emu.returned == [100] and h.of(NoteRejected))
    assert not h.credits and h.emu.stacked == []


async def test_power_cycle_while_idle_re_initialises(h):
    await h.drv.set_accepting(True)
    h.emu.set_fault("power_cycle", True)
    h.emu.set_fault("power_cycle", False)
    assert not h.emu.accepting
    await h.until(lambda: h.emu.accepting)  # SLAVE RESET seen: set up again, enabled again
    h.emu.insert(2000)
    await h.until(lambda: h.of(NoteStacked))
    assert h.emu.stacked == [2000] and h.credits == [NoteCredited("validator", 2000)]


async def _crash_in_the_commit(emu) -> None:
    """Run a driver until it sits in the commit of a NOTE CREDIT, then kill it."""
    await crash_in_the_commit(make_harness(emu))
    assert emu.state == "credited" and emu.stacked == [] and emu.ack_times == []


@pytest.mark.parametrize("power_cycle", [False, True])
async def test_note_in_flight_across_a_driver_restart_is_credited_once(emu, power_cycle):
    await _crash_in_the_commit(emu)
    if power_cycle:
        emu.set_fault("power_cycle", True)
        emu.set_fault("power_cycle", False)
        assert emu.stacked == [10000]  # the device finished it into the box at power-up
    async with running(make_harness(emu)) as second:
        await second.until(lambda: second.of(DeviceOnline))
        assert second.credits == [NoteCredited("validator", None)]
        kinds = [type(e) for e in second.events]
        assert kinds.index(NoteCredited) < kinds.index(DeviceOnline)
        if power_cycle:
            assert second.of(PowerUpWithBill) == [PowerUpWithBill("validator", "stacker")]
        await second.until(lambda: emu.stacked == [10000] and len(emu.ack_times) == 1)
        assert not emu.accepting  # the new driver starts disabled
        await second.until(lambda: emu.commands.count(Cmd.POLL_WITH_ACK) >= 20)
        assert second.credits == [NoteCredited("validator", None)]  # once, not per poll


async def test_note_left_in_escrow_by_a_dead_driver_is_returned_not_taken(emu):
    await die_with_a_note_in_escrow(make_harness(emu), 2000)
    async with running(make_harness(emu)) as second:
        await second.until(lambda: second.of(NoteReturned))
        assert emu.returned == [2000] and emu.stacked == [] and not second.credits


async def test_a_note_read_while_the_host_inhibits_is_handed_back_not_offered(emu):
    # Found by the SIGKILL harness: a device left enabled by a killed host reads a note just
    # as the new driver starts; nobody decides on it, and HOLD would keep it for ever.
    first = make_harness(emu)
    first.start()
    await first.until(lambda: first.of(DeviceOnline))
    await first.drv.set_accepting(True)
    await first.stop()  # dies with the device enabled
    emu.insert(1000)
    second = make_harness(emu)
    second.on_escrow = None  # a machine that would never answer
    async with running(second):
        await second.until(lambda: emu.returned == [1000])
        assert second.of(NoteEscrowed) == [] and emu.stacked == [] and not second.credits
        await second.until(lambda: second.of(DeviceOnline))
        await second.drv.set_accepting(True)  # the next customer's note goes in as usual
        second.on_escrow = "stack"
        emu.insert(500)
        await second.until(lambda: emu.stacked == [500])
        assert [c.value for c in second.credits] == [500]
