"""The CCNET driver against the emulator over a real pty: what the machine and the money see."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest

from drivers.base import (
    BillValidator,
    DeviceOffline,
    DeviceOnline,
    JamCleared,
    NoteCredited,
    NoteEscrowed,
    NoteJam,
    NoteReturned,
    NoteStacked,
    PowerUpWithBill,
    ValidatorFault,
)
from drivers.transport import close_serial, open_serial
from drivers.validator.ccnet import ILLEGAL_COMMAND, CcnetParser, Cmd, Frame, State, build_frame
from drivers.validator.ccnet_device import CcnetValidator
from drivers.validator.emulators.ccnet_emu import FAULTS, CcnetEmulator
from tests.validator_common import (
    TIMEOUT,
    Harness,
    crash_in_the_commit,
    die_with_a_note_in_escrow,
    emulator_fixture,
    online_harness_fixture,
    running,
)

make_harness = partial(Harness, CcnetValidator)  # (emu, **driver settings)
emu = emulator_fixture(CcnetEmulator)
h = online_harness_fixture(make_harness)


async def test_a_device_failure_is_reported_with_its_code(h):
    h.emu.set_fault("failure", True)
    await h.until(lambda: h.of(ValidatorFault))
    assert h.of(ValidatorFault) == [ValidatorFault("validator", "failure: stack motor", 0x50)]
    h.emu.set_fault("failure", False)
    await h.until(lambda: h.emu.status == State.DISABLED)
    await h.drv.set_accepting(True)
    h.emu.insert(1000)
    await h.until(lambda: h.of(NoteStacked))
    assert len(h.of(ValidatorFault)) == 1


def test_the_emulator_has_the_id003_fault_switches():
    assert {"jam_stacking", "jam_acceptor", "stacker_full", "box_removed", "silence", "garbage",
            "bad_crc", "power_cycle"} <= FAULTS
    assert set(CcnetEmulator().faults) == FAULTS


async def test_power_up_reads_the_table_and_starts_inhibited(h):
    assert isinstance(h.drv, BillValidator)
    # the emulator's table puts 1 yuan at bill type 2 and 100 yuan as 1 * 10**2
    assert h.drv.denominations() == (100, 500, 1000, 2000, 5000, 10000)
    assert h.drv.identification.part == "KIOSKD-EMU-CN"
    assert not h.emu.accepting
    h.emu.insert(1000)
    await h.until(lambda: h.emu.status == State.DISABLED)
    assert not h.of(NoteEscrowed)  # inhibited: the slot stays shut, the note stays out
    await h.drv.set_accepting(True)
    await h.drv.set_accepting(True)  # idempotent
    assert h.emu.accepting
    await h.until(lambda: h.of(NoteStacked))
    await h.drv.set_accepting(False)
    assert not h.emu.accepting
    assert h.of(NoteEscrowed) == [NoteEscrowed("validator", 1000)]
    assert h.of(NoteStacked) == [NoteStacked("validator", 1000)]


async def test_credit_is_committed_before_the_stacked_reply_is_acknowledged(h):
    seen_during_commit = []

    async def slow_commit(credit):
        await asyncio.sleep(0.05)  # a journal fsync; the device must still be waiting
        seen_during_commit.append((len(h.emu.ack_times), h.emu.status, list(h.emu.stacked)))

    h.commit_hook = slow_commit
    await h.drv.set_accepting(True)
    h.emu.insert(10000)
    await h.until(lambda: h.of(NoteStacked) and h.emu.ack_times)
    assert h.credits == [NoteCredited("validator", 10000)]
    # during the commit the note sat in the box and the device still reported STACKED, un-ACKed
    assert seen_during_commit == [(0, State.STACKED, [10000])]
    assert len(h.emu.ack_times) == 1 and h.credit_ns[0] < h.emu.ack_times[0]
    kinds = [type(e) for e in h.events]
    assert kinds.index(NoteCredited) < kinds.index(NoteStacked)
    assert h.of(NoteStacked) == [NoteStacked("validator", 10000)]
    assert h.emu.stacked == [10000]


async def test_hold_keeps_the_note_in_escrow_while_the_machine_decides(tmp_path):
    # a HOLD every 0.1 s against the device's 1 s escrow time-out: ten times the margin, as a real
    # driver keeps (a 0.3 s time-out let one scheduling gap of a loaded machine return the note)
    emu = CcnetEmulator(link=str(tmp_path / "v"), escrow_timeout=1.0)
    await emu.start()
    h = make_harness(emu, hold_interval=0.1)
    h.on_escrow = None  # the machine takes its time
    h.start()
    try:
        await h.until(lambda: h.of(DeviceOnline))
        await h.drv.set_accepting(True)
        emu.insert(5000)
        await h.until(lambda: h.of(NoteEscrowed))
        await h.until(lambda: emu.holds >= 25)  # > 2 escrow time-outs have passed
        assert emu.returned == [] and emu.status in (State.ESCROW, State.HOLDING)
        await h.drv.stack()
        await h.until(lambda: h.of(NoteStacked))
        assert h.credits == [NoteCredited("validator", 5000)] and emu.stacked == [5000]
    finally:
        await h.stop()
        await emu.stop()


async def test_without_a_decision_or_hold_the_device_returns_the_note(tmp_path):
    emu = CcnetEmulator(link=str(tmp_path / "v"), escrow_timeout=0.2)
    await emu.start()
    h = make_harness(emu, hold_interval=60.0)
    h.on_escrow = None
    h.start()
    try:
        await h.until(lambda: h.of(DeviceOnline))
        await h.drv.set_accepting(True)
        emu.insert(2000)
        await h.until(lambda: h.of(NoteReturned))
        assert h.of(NoteReturned) == [NoteReturned("validator", 2000)]
        assert emu.returned == [2000] and not h.credits
    finally:
        await h.stop()
        await emu.stop()


async def test_jam_in_the_acceptor_returns_the_note(h):
    h.emu.set_fault("jam_acceptor", True)
    await h.drv.set_accepting(True)
    h.emu.insert(100)
    await h.until(lambda: h.of(NoteJam))
    assert h.of(NoteJam) == [NoteJam("validator", "acceptor")]
    h.emu.set_fault("jam_acceptor", False)
    await h.until(lambda: h.of(JamCleared) and h.of(NoteReturned))
    assert h.emu.returned == [100] and not h.credits


@pytest.mark.parametrize("fault", ["silence", "bad_crc", "power_cycle"])
async def test_offline_once_and_online_again(h, fault):
    await h.drv.set_accepting(True)
    h.emu.set_fault(fault, True)
    await h.until(lambda: h.of(DeviceOffline))
    reason = h.of(DeviceOffline)[0].reason
    assert ("bad frames" in reason) == (fault == "bad_crc") and "validator" in reason
    h.emu.set_fault(fault, False)
    await h.until(lambda: len(h.of(DeviceOnline)) == 2)
    assert len(h.of(DeviceOffline)) == 1
    assert h.emu.accepting  # the machine's choice survives the reconnect (and a power cycle)
    h.emu.insert(500)
    await h.until(lambda: h.of(NoteStacked))
    assert h.credits == [NoteCredited("validator", 500)]


async def test_a_garbled_reply_is_nakked_and_repeated(h):
    await h.drv.set_accepting(True)
    h.on_escrow = None
    h.emu.insert(2000)
    await h.until(lambda: h.of(NoteEscrowed))
    # the next two replies (to POLL or STACK) come garbled: the driver NAKs and the device repeats
    # them (re-sending STACK instead would be refused as an illegal command)
    h.emu.corrupt_next = 2
    await h.drv.stack()
    await h.until(lambda: h.of(NoteStacked))
    assert h.drv._parser.bad_frames == 2 and not h.of(DeviceOffline)
    assert h.credits == [NoteCredited("validator", 2000)] and h.emu.stacked == [2000]


async def _crash_at_stacked(emu) -> None:
    """Run a driver until it sits in the commit of a STACKED reply, then kill it."""
    await crash_in_the_commit(make_harness(emu))
    assert emu.status == State.STACKED and emu.stacked == [10000] and not emu.ack_times


@pytest.mark.parametrize("power_cycle", [False, True])
async def test_note_in_flight_across_a_crash_is_credited_once_without_value(emu, power_cycle):
    await _crash_at_stacked(emu)
    if power_cycle:
        emu.set_fault("power_cycle", True)
        emu.set_fault("power_cycle", False)
        assert emu.status == State.POWER_UP_BILL_IN_STACKER
    async with running(make_harness(emu)) as second:
        await second.until(lambda: second.of(DeviceOnline) and (power_cycle or emu.ack_times))
        assert second.credits == [NoteCredited("validator", None)]
        kinds = [type(e) for e in second.events]
        assert kinds.index(NoteCredited) < kinds.index(DeviceOnline)
        if power_cycle:
            assert second.of(PowerUpWithBill) == [PowerUpWithBill("validator", "stacker")]
        else:
            assert len(emu.ack_times) == 1 and second.credit_ns[0] < emu.ack_times[0]
        assert emu.stacked == [10000]  # in the box once
        assert not emu.accepting  # the new driver starts inhibited
        await second.drv.set_accepting(True)
        emu.insert(100)
        await second.until(lambda: second.of(NoteStacked))
        assert second.credits == [NoteCredited("validator", None), NoteCredited("validator", 100)]


async def test_driver_restart_while_stacking_waits_for_the_note_to_land(tmp_path):
    emu = CcnetEmulator(0.3, link=str(tmp_path / "v"))  # each transient state lasts 0.3 s
    await emu.start()
    first = make_harness(emu)
    first.start()
    await first.until(lambda: first.of(DeviceOnline))
    await first.drv.set_accepting(True)
    emu.insert(5000)
    await first.until(lambda: emu.status == State.STACKING)
    emu.delay = 3600  # the note stays in STACKING until the first driver is gone, however slow the machine
    await first.stop()  # dies between STACK and STACKED
    emu.delay = 0.3
    second = make_harness(emu)
    second.start()
    try:
        await second.until(lambda: second.of(DeviceOnline))
        assert second.credits == [NoteCredited("validator", None)]
        kinds = [type(e) for e in second.events]
        assert kinds.index(NoteCredited) < kinds.index(DeviceOnline)
        assert emu.stacked == [5000] and not first.credits
    finally:
        await second.stop()
        await emu.stop()


async def test_power_up_with_bill_in_validator_returns_it(emu):
    await die_with_a_note_in_escrow(make_harness(emu), 2000)
    emu.set_fault("power_cycle", True)
    emu.set_fault("power_cycle", False)
    async with running(make_harness(emu)) as second:
        await second.until(lambda: second.of(DeviceOnline))
        assert second.of(PowerUpWithBill) == [PowerUpWithBill("validator", "acceptor")]
        assert not second.credits and emu.returned == [2000] and emu.stacked == []


async def test_the_emulator_naks_a_garbled_host_frame_and_repeats_on_our_nak(emu):
    reader, writer = await open_serial(emu.port)
    parser = CcnetParser()

    async def reply() -> Frame:
        async with asyncio.timeout(TIMEOUT):
            while True:
                if frames := parser.feed(await reader.read(64)):
                    return frames[0]

    try:
        bad = bytearray(build_frame(Cmd.POLL))
        bad[-1] ^= 0x01
        writer.write(bytes(bad))
        assert await reply() == Frame(Cmd.NAK)
        writer.write(build_frame(Cmd.POLL))
        assert await reply() == Frame(State.POWER_UP)
        writer.write(build_frame(Cmd.NAK))  # "say that again"
        assert await reply() == Frame(State.POWER_UP)
        writer.write(build_frame(Cmd.STACK))  # nothing in escrow
        assert await reply() == Frame(ILLEGAL_COMMAND)
    finally:
        await close_serial(writer)


async def test_a_failed_commit_at_start_up_sends_no_reset_and_is_retried(emu):
    await _crash_at_stacked(emu)
    emu.set_fault("power_cycle", True)
    emu.set_fault("power_cycle", False)
    second = make_harness(emu)
    calls = []

    async def flaky(credit):
        calls.append(emu.status)
        if len(calls) == 1:
            raise OSError("disk full")

    second.commit_hook = flaky
    async with running(second):
        await second.until(lambda: second.of(DeviceOnline))
        # the device still said "bill in stacker" at the retry: no RESET went out in between
        assert calls == [State.POWER_UP_BILL_IN_STACKER] * 2
        assert second.credits == [NoteCredited("validator", None)] and emu.stacked == [10000]


async def test_a_late_poll_reply_is_not_taken_for_a_commands_answer(h):
    # under load a retried POLL's second reply can arrive after the exchange ended: CCNET has no
    # request ids, so the enable that follows must not read that state frame as its refusal
    handle = h.emu._handle

    def late_poll_reply_first(frame: Frame) -> bytes | None:
        reply = handle(frame)
        if frame.cmd == Cmd.ENABLE_BILL_TYPES and reply is not None:
            return build_frame(State.DISABLED) + reply
        return reply

    h.emu._handle = late_poll_reply_first
    await h.drv.set_accepting(True)
    h.emu.insert(1000)
    await h.until(lambda: h.of(NoteStacked))
    assert h.credits == [NoteCredited("validator", 1000)]
