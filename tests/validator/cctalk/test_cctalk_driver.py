"""The ccTalk driver against the emulator over a real pty: what the machine and the money see."""

from __future__ import annotations

import asyncio

import pytest

from drivers.base import (
    BillValidator,
    DeviceOffline,
    DeviceOnline,
    JamCleared,
    NoteCredited,
    NoteEscrowed,
    NoteJam,
    NoteRejected,
    NoteReturned,
    NoteStacked,
    StackerClosed,
    StackerFull,
    StackerOpened,
    ValidatorFault,
)
from drivers.statefile import write_json
from drivers.validator.cctalk import STATUS_EVENTS, EventKind, Header
from drivers.validator.cctalk_device import CctalkValidator
from drivers.validator.emulators.cctalk_emu import FAULTS, CctalkEmulator
from tests.validator_common import (
    Harness,
    crash_in_the_commit,
    die_with_a_note_in_escrow,
    emulator_fixture,
    online_harness_fixture,
    running,
)


def make_harness(emu, **kw) -> Harness:
    """A harness running the driver under test against `emu`."""
    kw.setdefault("checksum", emu.checksum)
    return Harness(CctalkValidator, emu, **kw)


emu = emulator_fixture(CctalkEmulator, vary=("checksum", ["simple", "crc16"]))
h = online_harness_fixture(make_harness)


async def test_power_up_reads_the_table_and_starts_inhibited(h):
    assert isinstance(h.drv, BillValidator)
    assert h.drv.denominations() == (100, 500, 1000, 2000, 5000, 10000)
    assert not h.emu.accepting
    h.emu.insert(1000)
    polls = len(h.emu.received)
    await h.until(lambda: len(h.emu.received) > polls + 5)
    assert not h.of(NoteEscrowed) and h.emu.state == "idle"  # inhibited: the note stays out
    await h.drv.set_accepting(True)
    await h.drv.set_accepting(True)  # idempotent
    assert h.emu.accepting
    await h.until(lambda: h.of(NoteStacked))
    await h.drv.set_accepting(False)
    assert not h.emu.accepting
    assert h.of(NoteEscrowed) == [NoteEscrowed("validator", 1000)]
    assert h.drv.echoes > 0  # the single wire's echo was read back and dropped


async def test_credit_is_committed_before_the_next_event_read(h):
    reads_during_commit = []

    async def slow_commit(credit):
        before = _event_reads(h.emu)
        await asyncio.sleep(0.1)  # a journal fsync; five poll intervals pass meanwhile
        reads_during_commit.append(_event_reads(h.emu) - before)

    h.commit_hook = slow_commit
    await h.drv.set_accepting(True)
    h.emu.insert(10000)
    await h.until(lambda: h.of(NoteStacked) and h.emu.ack_times)
    assert h.credits == [NoteCredited("validator", 10000)]
    assert reads_during_commit == [0]  # no 159 went out while the journal was writing
    assert len(h.emu.ack_times) == 1 and h.credit_ns[0] < h.emu.ack_times[0]
    assert h.emu.credit_times[0] < h.credit_ns[0]
    assert h.of(NoteStacked) == [NoteStacked("validator", 10000)]
    assert h.emu.stacked == [10000]


def _event_reads(emu: CctalkEmulator) -> int:
    return sum(f.header == Header.READ_BUFFERED_BILL_EVENTS for f in emu.received)


async def test_stack_without_a_note_in_escrow_is_refused(h):
    with pytest.raises(Exception, match="escrow is empty"):
        await h.drv.stack()


async def test_jam_in_the_acceptor_hands_the_note_back(h):
    h.emu.set_fault("jam_acceptor", True)
    await h.drv.set_accepting(True)
    h.emu.insert(100)
    await h.until(lambda: h.of(NoteJam))
    assert h.of(NoteJam) == [NoteJam("validator", "acceptor")]
    h.emu.set_fault("jam_acceptor", False)
    await h.until(lambda: h.of(JamCleared) and h.emu.returned == [100])
    assert not h.credits


EXPECTED = {
    EventKind.MASTER_INHIBIT: NoteRejected, EventKind.RETURNED: NoteReturned,
    EventKind.REJECTED: NoteRejected, EventKind.JAM_ACCEPTOR: NoteJam,
    EventKind.JAM_STACKER: NoteJam, EventKind.JAM_CLEARED: JamCleared,
    EventKind.STACKER_REMOVED: StackerOpened, EventKind.STACKER_INSERTED: StackerClosed,
    EventKind.STACKER_FULL: StackerFull, EventKind.FAULT: ValidatorFault,
    EventKind.UNKNOWN_STACKED: ValidatorFault,
}


async def test_every_status_code_reaches_the_machine_as_its_event(h):
    for code, (kind, text) in sorted(STATUS_EVENTS.items()):
        if kind == EventKind.STACKER_OK:
            continue  # "stacker OK" only matters after a removal (below)
        before = len(h.events)
        h.emu.inject_event(0, code)
        await h.until(lambda before=before: len(h.events) > before)
        event = h.events[before]
        assert isinstance(event, EXPECTED[kind]), (code, event)
        if kind in (EventKind.REJECTED, EventKind.FAULT):
            assert (getattr(event, "reason", None) or event.kind) == text and event.code == code
    h.emu.inject_event(0, 11)
    await h.until(lambda: len(h.of(StackerOpened)) == 2)
    h.emu.inject_event(0, 10)
    await h.until(lambda: len(h.of(StackerClosed)) == 2)
    assert not h.of(DeviceOffline) and not h.credits


async def test_more_than_five_events_between_reads_is_a_fault(h):
    for _ in range(7):  # no await in between: seven events pile up before the next read
        h.emu.inject_event(0, 2)
    await h.until(lambda: h.of(ValidatorFault))
    assert h.of(ValidatorFault)[0] == ValidatorFault("validator", "events_lost", 2)
    assert len(h.of(NoteRejected)) == 5  # the five the buffer still held


async def test_power_cycle_resets_the_device_and_the_driver_restores_it(h):
    await h.drv.set_accepting(True)
    h.emu.set_fault("power_cycle", True)
    h.emu.set_fault("power_cycle", False)
    assert h.emu.counter == 0 and not h.emu.accepting
    await h.until(lambda: h.emu.accepting)  # re-initialised with the machine's choice
    h.emu.insert(2000)
    await h.until(lambda: h.of(NoteStacked))
    assert h.credits == [NoteCredited("validator", 2000)]


async def test_power_cycle_with_a_note_routed_to_the_stacker_credits_it_once(emu):
    h = make_harness(emu)
    emu.delay = 0.3  # the stacker stroke takes a while: the power goes during it
    async with running(h):
        await h.until(lambda: h.of(DeviceOnline))
        await h.drv.set_accepting(True)
        emu.insert(5000)
        await h.until(lambda: emu.state == "stacking")
        emu.set_fault("power_cycle", True)
        emu.set_fault("power_cycle", False)
        emu.delay = 0.0
        await h.until(lambda: h.credits and emu.accepting)
        assert h.credits == [NoteCredited("validator", None)]  # the journal has its value
        assert ValidatorFault("validator", "events_lost", None) in h.events
        assert emu.stacked == [5000]


def test_every_fault_switch_is_known():
    assert FAULTS == {"jam_stacking", "jam_acceptor", "stacker_full", "box_removed", "silence",
                      "garbage", "bad_crc", "power_cycle", "stall_stacking"}
    emu = CctalkEmulator()
    assert set(emu.faults) == FAULTS
    with pytest.raises(ValueError):
        emu.set_fault("tilt", True)


async def _crash_in_the_commit(emu, state) -> None:
    """Run a driver until it sits in the commit of a credit event, then kill it."""
    await crash_in_the_commit(make_harness(emu, state_path=str(state)))
    assert emu.stacked == [10000] and emu.ack_times == []


async def test_note_in_flight_across_a_driver_restart_is_credited_exactly_once(emu, tmp_path):
    state = tmp_path / "cctalk.json"
    await _crash_in_the_commit(emu, state)
    for run in range(2):  # the restart credits it; a later restart must not credit it again
        again = make_harness(emu, state_path=str(state))
        reads_before, reads_at_commit = _event_reads(emu), []

        async def note_reads(credit, seen=reads_at_commit, base=reads_before):
            seen.append(_event_reads(emu) - base)

        again.commit_hook = note_reads
        async with running(again):
            await again.until(lambda again=again: again.of(DeviceOnline))
            polls = _event_reads(emu)
            await again.until(lambda polls=polls: _event_reads(emu) > polls + 2)
            if run == 0:
                assert again.credits == [NoteCredited("validator", None)]
                kinds = [type(e) for e in again.events]
                assert kinds.index(NoteCredited) < kinds.index(DeviceOnline)
                # journaled after the one start-up read that found it, before any other read
                assert reads_at_commit == [1]
            else:
                assert again.credits == []
            assert not emu.accepting  # every new driver starts inhibited
    assert emu.stacked == [10000]


@pytest.mark.parametrize("saved", [True, False], ids=["counter_saved", "killed_before_saving"])
async def test_note_left_in_escrow_at_start_up_is_returned(emu, tmp_path, saved):
    state = str(tmp_path / "s.json")
    await die_with_a_note_in_escrow(make_harness(emu, state_path=state), 2000)
    if not saved:  # killed between the read that showed the escrow and the write of its counter
        write_json(state, {"counter": emu.counter - 1})
    async with running(make_harness(emu, state_path=state)) as second:
        await second.until(lambda: second.of(DeviceOnline) and emu.returned)
        assert not second.credits and emu.returned == [2000] and emu.stacked == []


async def test_note_offered_to_a_validator_left_enabled_by_a_killed_host_goes_back(emu, tmp_path):
    """The crash harness's stuck cash step: a dead host left the master inhibit lifted."""
    first = make_harness(emu, state_path=str(tmp_path / "s.json"))
    first.start()
    await first.until(lambda: first.of(DeviceOnline))
    await first.drv.set_accepting(True)
    await first.stop()  # killed: nobody sends 228 0, the device stays enabled (under 5 s)
    assert emu.accepting
    emu.insert(2000)  # the customer's note goes in while the new host is starting
    second = make_harness(emu, state_path=str(tmp_path / "s.json"))
    second.on_escrow = None  # a machine at its idle screen decides on no escrow
    async with running(second):
        await second.until(lambda: second.of(DeviceOnline) and second.of(NoteRejected))
        # refused with "master inhibit active": no escrow blocking the note path, no credit
        assert second.of(NoteRejected) == [NoteRejected("validator", "master inhibit active", 0, inhibited=True)]
        assert not second.of(NoteEscrowed) and emu.state == "idle"
        assert emu.rejected == [2000] and emu.stacked == [] and not second.credits
        # the next payment's note goes straight in
        second.on_escrow = "stack"
        await second.drv.set_accepting(True)
        emu.insert(1000)
        await second.until(lambda: second.of(NoteStacked))
        assert second.credits == [NoteCredited("validator", 1000)] and emu.stacked == [1000]


async def test_a_stopped_driver_waits_for_its_counter_save_so_a_newer_driver_reads_and_keeps_the_newest(
    emu, tmp_path, monkeypatch
):
    import threading

    from drivers.statefile import read_json
    from drivers.validator import cctalk_device

    state = tmp_path / "s.json"
    in_write, write_back, write = threading.Event(), threading.Event(), cctalk_device.write_json

    def stuck_first_write(path, data):
        if not in_write.is_set():  # the first save's fsync does not end, until the test lets it
            in_write.set()
            write_back.wait(30)
        write(path, data)

    monkeypatch.setattr(cctalk_device, "write_json", stuck_first_write)
    emu.insert(2000)  # refused while inhibited: the device's event counter moves on
    first = make_harness(emu, state_path=str(state))
    first.start()
    assert await asyncio.to_thread(in_write.wait, 5)  # the start-up's counter save is in flight
    stopping = asyncio.create_task(first.stop())  # the driver stopped, another to start in this process
    done, _ = await asyncio.wait({stopping}, timeout=0.5)
    assert not done  # the stop waits for its save: a newer driver must not read, nor save, before it lands
    write_back.set()
    await stopping
    assert read_json(state) == {"counter": emu.counter}
    emu.insert(2000)
    async with running(make_harness(emu, state_path=str(state))) as second:
        await second.until(lambda: second.of(DeviceOnline) and read_json(state) == {"counter": emu.counter})
    assert read_json(state) == {"counter": emu.counter}  # the newest, the older save long landed
