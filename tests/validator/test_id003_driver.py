"""The ID-003 driver against the emulator over a real pty: what the machine and the money see."""

from __future__ import annotations

import asyncio
import time

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
    PowerUpWithBill,
    StackerClosed,
    StackerFull,
    StackerOpened,
)
from drivers.validator.emulators.id003_emu import Id003Emulator
from drivers.validator.id003 import Status
from drivers.validator.id003_device import Id003Validator

TIMEOUT = 5.0


class Harness:
    """Runs a driver against an emulator; records events and credits; waits on conditions."""

    def __init__(self, emu: Id003Emulator, **kw) -> None:
        self.emu = emu
        self.drv = Id003Validator(emu.port, poll_interval=0.02, reply_timeout=0.1, **kw)
        self.events: list = []
        self.credits: list[NoteCredited] = []
        self.credit_ns: list[int] = []
        self.on_escrow = "stack"
        self.commit_hook = None
        self._changed = asyncio.Event()
        self.task: asyncio.Task | None = None

    def sink(self, event) -> None:
        self.events.append(event)
        self._changed.set()
        if isinstance(event, NoteEscrowed) and self.on_escrow:
            op = self.drv.stack if self.on_escrow == "stack" else self.drv.return_note
            asyncio.get_running_loop().create_task(op())

    async def commit(self, credit: NoteCredited) -> None:
        if self.commit_hook:
            await self.commit_hook(credit)
        self.credits.append(credit)
        self.events.append(credit)  # in order with the sink's events
        self.credit_ns.append(time.monotonic_ns())
        self._changed.set()

    def start(self) -> None:
        self.task = asyncio.create_task(self.drv.run(self.sink, self.commit))

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def until(self, pred, within: float = TIMEOUT) -> None:
        """Wait (bounded) until pred() holds; re-checks on each event and every 10 ms."""
        deadline = time.monotonic() + within
        while not pred():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met in {within}s; events: {self.events}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), 0.01)
            except TimeoutError:
                pass

    def of(self, kind) -> list:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
async def emu(tmp_path):
    e = Id003Emulator(link=str(tmp_path / "validator"))
    await e.start()
    yield e
    await e.stop()


@pytest.fixture
async def h(emu):
    harness = Harness(emu)
    harness.start()
    await harness.until(lambda: harness.of(DeviceOnline))
    yield harness
    await harness.stop()


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


async def test_configured_denominations_only(emu):
    h = Harness(emu, denominations=(1000, 10000))
    h.start()
    try:
        await h.until(lambda: h.of(DeviceOnline))
        assert h.drv.denominations() == (1000, 10000)
        await h.drv.set_accepting(True)
        emu.insert(500)
        await h.until(lambda: h.of(NoteRejected))
        assert h.of(NoteRejected) == [NoteRejected("validator", "inhibited", 0x79)]
        assert emu.stacked == [] and not h.credits
    finally:
        await h.stop()


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


async def test_failed_commit_is_not_acknowledged_and_is_retried_once_only(h):
    calls = []

    async def flaky(credit):
        calls.append(credit)
        if len(calls) == 1:
            raise OSError("disk full")

    h.commit_hook = flaky
    await h.drv.set_accepting(True)
    h.emu.insert(5000)
    await h.until(lambda: h.of(NoteStacked))
    assert len(calls) == 2 and h.credits == [NoteCredited("validator", 5000)]
    assert len(h.emu.ack_times) == 1 and h.credit_ns[0] < h.emu.ack_times[0]
    assert h.emu.stacked == [5000]


async def test_escrow_then_return(h):
    h.on_escrow = "return"
    await h.drv.set_accepting(True)
    h.emu.insert(2000)
    await h.until(lambda: h.of(NoteReturned))
    assert h.of(NoteReturned) == [NoteReturned("validator", 2000)]
    assert h.emu.returned == [2000] and h.emu.stacked == [] and not h.credits


async def test_counterfeit_is_rejected_with_its_reason(h):
    await h.drv.set_accepting(True)
    h.emu.insert_counterfeit()
    await h.until(lambda: h.of(NoteRejected))
    assert h.of(NoteRejected) == [NoteRejected("validator", "photo pattern", 0x77)]
    assert not h.of(NoteEscrowed) and not h.credits


async def test_jam_while_stacking_then_cleared_credits_once(h):
    h.emu.set_fault("jam_stacking", True)
    await h.drv.set_accepting(True)
    h.emu.insert(10000)
    await h.until(lambda: h.of(NoteJam))
    assert h.of(NoteJam) == [NoteJam("validator", "stacker")] and not h.credits
    h.emu.set_fault("jam_stacking", False)
    await h.until(lambda: h.of(NoteStacked))
    assert h.of(JamCleared) and h.credits == [NoteCredited("validator", 10000)]
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


async def test_stacker_full_and_box_removed(h):
    h.emu.set_fault("stacker_full", True)
    await h.until(lambda: h.of(StackerFull))
    h.emu.set_fault("stacker_full", False)
    h.emu.set_fault("box_removed", True)
    await h.until(lambda: h.of(StackerOpened))
    h.emu.set_fault("box_removed", False)
    await h.until(lambda: h.of(StackerClosed))
    assert len(h.of(StackerFull)) == 1 and len(h.of(StackerOpened)) == 1


async def test_garbage_on_the_line_is_dropped_and_notes_still_stack(h):
    h.emu.set_fault("garbage", True)
    await h.drv.set_accepting(True)
    h.emu.insert(1000)
    h.emu.insert(2000)
    await h.until(lambda: len(h.of(NoteStacked)) == 2)
    assert [c.value for c in h.credits] == [1000, 2000]
    assert h.emu.stacked == [1000, 2000]
    assert h.drv._parser.dropped_bytes > 0
    assert not h.of(DeviceOffline)


@pytest.mark.parametrize("fault", ["silence", "bad_crc"])
async def test_offline_once_and_online_again(h, fault):
    await h.drv.set_accepting(True)
    h.emu.set_fault(fault, True)
    await h.until(lambda: h.of(DeviceOffline))
    reason = h.of(DeviceOffline)[0].reason
    assert ("bad frames" in reason) == (fault == "bad_crc") and "validator" in reason
    h.emu.set_fault(fault, False)
    await h.until(lambda: len(h.of(DeviceOnline)) == 2)
    assert len(h.of(DeviceOffline)) == 1
    assert h.emu.accepting  # the machine's choice survives the reconnect


async def test_reconnect_after_the_port_is_closed_and_reopened(h):
    await h.drv.set_accepting(True)
    await h.emu.close_port()
    await h.until(lambda: h.of(DeviceOffline))
    await h.emu.reopen_port()
    await h.until(lambda: len(h.of(DeviceOnline)) == 2)
    assert h.emu.accepting
    h.emu.insert(500)
    await h.until(lambda: h.of(NoteStacked))
    assert h.emu.stacked == [500]


async def _crash_at_vend_valid(emu) -> None:
    """Run a driver until it sits in the commit of a VEND VALID, then kill it."""
    first = Harness(emu)
    blocked = asyncio.Event()

    async def hang(credit):
        blocked.set()
        await asyncio.Event().wait()  # the daemon dies here, before the ACK

    first.commit_hook = hang
    first.start()
    await first.until(lambda: first.of(DeviceOnline))
    await first.drv.set_accepting(True)
    emu.insert(10000)
    await asyncio.wait_for(blocked.wait(), TIMEOUT)
    await first.stop()
    assert emu.status == Status.VEND_VALID and emu.stacked == []


@pytest.mark.parametrize("power_cycle", [False, True])
async def test_note_in_flight_across_a_crash_is_credited_without_value(emu, power_cycle):
    await _crash_at_vend_valid(emu)
    if power_cycle:
        emu.set_fault("power_cycle", True)
        emu.set_fault("power_cycle", False)
        assert emu.status == Status.POWER_UP_BILL_IN_STACKER
    second = Harness(emu)
    second.start()
    try:
        await second.until(lambda: second.of(DeviceOnline))
        assert second.credits == [NoteCredited("validator", None)]
        kinds = [type(e) for e in second.events]
        assert kinds.index(NoteCredited) < kinds.index(DeviceOnline)
        if power_cycle:
            assert second.of(PowerUpWithBill) == [PowerUpWithBill("validator", "stacker")]
        assert emu.stacked == [10000]
        assert not emu.accepting  # the new driver starts inhibited
    finally:
        await second.stop()


async def test_power_up_with_bill_in_acceptor_returns_it(emu):
    first = Harness(emu)
    first.on_escrow = None  # the daemon dies while the note waits in escrow
    first.start()
    await first.until(lambda: first.of(DeviceOnline))
    await first.drv.set_accepting(True)
    emu.insert(2000)
    await first.until(lambda: first.of(NoteEscrowed))
    await first.stop()
    emu.set_fault("power_cycle", True)
    emu.set_fault("power_cycle", False)
    second = Harness(emu)
    second.start()
    try:
        await second.until(lambda: second.of(DeviceOnline))
        assert second.of(PowerUpWithBill) == [PowerUpWithBill("validator", "acceptor")]
        assert not second.credits and emu.returned == [2000] and emu.stacked == []
    finally:
        await second.stop()


async def test_a_note_caught_stacking_at_start_up_is_waited_for_and_credited(tmp_path):
    # Found by the SIGKILL harness: a RESET sent while the note is STACKING stacks it
    # silently, so the restarted driver must poll until VEND VALID and credit it first.
    emu = Id003Emulator(delay=0.2, link=str(tmp_path / "slow-validator"))
    await emu.start()
    try:
        first = Harness(emu)
        first.start()
        await first.until(lambda: first.of(DeviceOnline))
        await first.drv.set_accepting(True)
        emu.insert(5000)
        await first.until(lambda: emu.status == Status.STACKING)
        await first.stop()  # the daemon dies with the note going into the box
        second = Harness(emu)
        second.start()
        try:
            await second.until(lambda: second.of(DeviceOnline))
            assert second.credits == [NoteCredited("validator", None)]
            kinds = [type(e) for e in second.events]
            assert kinds.index(NoteCredited) < kinds.index(DeviceOnline)
            assert emu.stacked == [5000]
        finally:
            await second.stop()
    finally:
        await emu.stop()
