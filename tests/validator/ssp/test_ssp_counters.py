"""GET COUNTERS: a credit lost to a host crash in plain POLL is found and reported, never twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import pytest

from drivers.base import DeviceOnline, NoteCredited, NoteEscrowed, NoteStacked, ValidatorFault
from drivers.errors import ProtocolError
from drivers.validator.emulators.ssp_emu import SspEmulator
from drivers.validator.ssp import Cmd, Counters, encode_counters, parse_counters
from drivers.validator.ssp_counters import CounterState, Verdict, load_state, reconcile, save_state
from drivers.validator.ssp_device import SspValidator

HISTORY = 4711  # the device's stacked counter before the test: a validator with a past


def le(*values: int) -> bytes:
    return b"".join(v.to_bytes(4, "little") for v in values)


@pytest.mark.parametrize(("data", "expected"), [
    (bytes((5,)) + le(4711, 2, 3, 4, 99), Counters(4711, 2, 3, 4, 99)),
    (bytes((5,)) + le(0, 0, 0, 0, 0), Counters(0)),
    (bytes((5,)) + le(0xFFFF_FFFF, 0, 0, 0, 1), Counters(0xFFFF_FFFF, rejected=1)),
    (bytes((1,)) + le(7), Counters(7)),  # a device with fewer counters: the rest read 0
    (bytes((6,)) + le(1, 2, 3, 4, 5, 6), Counters(1, 2, 3, 4, 5)),  # a newer one: extras ignored
])
def test_get_counters_reply_parses(data, expected):
    assert parse_counters(data) == expected


@pytest.mark.parametrize("data", [b"", b"\x00", bytes((5,)) + le(1, 2, 3, 4), b"\x01\x01\x02"])
def test_get_counters_reply_malformed_is_refused(data):
    with pytest.raises(ProtocolError):
        parse_counters(data)


def test_get_counters_encode_round_trips_and_command_code():
    assert Cmd.GET_COUNTERS == 0x58
    c = Counters(123456, 1, 2, 3, 4)
    assert encode_counters(c) == bytes((5,)) + le(123456, 1, 2, 3, 4)
    assert parse_counters(encode_counters(c)) == c
    with pytest.raises(ProtocolError):
        encode_counters(Counters(1 << 32))


@pytest.mark.parametrize(("committed", "device", "in_transit", "missed", "keep"), [
    (None, 50, False, 0, 50),  # first start: take the device's count
    (None, 50, True, 0, 51),
    (50, 50, False, 0, 50),  # all agrees
    (51, 50, True, 0, 51),  # credited, not stacked yet: never lowered
    (50, 51, False, 1, 51),  # one note stacked that no commit covers
    (50, 51, True, 1, 52),
    (50, 54, False, 4, 54),  # more than the journal can attribute
    (52, 50, True, 0, 51),  # counted twice (repeated before its ACK): follow the device
    (90, 50, False, 0, 50),  # counters cleared
])
def test_reconcile_table(committed, device, in_transit, missed, keep):
    verdict = reconcile(committed, device, in_transit)
    assert (verdict.missed, verdict.committed) == (missed, keep)
    assert isinstance(verdict, Verdict) and bool(verdict.note) == (committed not in (device, keep))


def test_state_file_round_trip_and_garbage(tmp_path):
    path = str(tmp_path / "ssp.json")
    assert load_state(path) is None
    save_state(path, CounterState(1873452, 4712))
    assert load_state(path) == CounterState(1873452, 4712)
    (tmp_path / "ssp.json").write_text("{not json")
    assert load_state(path) is None
    (tmp_path / "ssp.json").write_text('{"serial": 1, "committed": -3}')
    assert load_state(path) is None


# -- driver against the emulator -----------------------------------------------------------------


_changed: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}


def changed() -> asyncio.Event:
    """This test's event, set on every driver event or credit (the emulator is re-checked too)."""
    return _changed.setdefault(asyncio.get_running_loop(), asyncio.Event())


async def until(predicate, within: float = 5.0) -> None:
    """Wait (bounded) until predicate() holds; re-checks on each event and every 10 ms."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        changed().clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.01):
                await changed().wait()


class Run:
    """One driver process: its event log (credits and device events, in order) and its task."""

    def __init__(self, emu: SspEmulator, state_path: str, *, hang_commit: bool = False) -> None:
        self.drv = SspValidator(emu.port, poll_interval=0.01, reply_timeout=0.2,
                                state_path=state_path)
        self.log: list[object] = []
        self.received: list[NoteCredited] = []  # credits handed to the commit hook
        self.hang_commit = hang_commit
        self.task: asyncio.Task | None = None

    async def _commit(self, credit: NoteCredited) -> None:
        self.received.append(credit)
        changed().set()
        if self.hang_commit:  # the daemon dies inside the journal write: it never returns
            await asyncio.get_running_loop().create_future()
        self._record(credit)

    def start(self) -> Run:
        self.task = asyncio.create_task(self.drv.run(self._record, self._commit))
        return self

    def _record(self, event: object) -> None:
        self.log.append(event)
        changed().set()

    async def kill(self) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.wait([self.task])

    def credits(self) -> list[NoteCredited]:
        return [e for e in self.log if isinstance(e, NoteCredited)]

    def before_online(self) -> list[object]:
        """What the journal saw before the first DeviceOnline."""
        first = next(i for i, e in enumerate(self.log) if isinstance(e, DeviceOnline))
        return self.log[:first]

    def of(self, kind: type) -> list[object]:
        return [e for e in self.log if isinstance(e, kind)]


@pytest.fixture
async def emu_factory(tmp_path):
    made: list[SspEmulator] = []

    async def make(**kw) -> SspEmulator:
        emu = SspEmulator(link=str(tmp_path / "validator"), **kw)
        emu.stacked_counter = HISTORY
        await emu.start()
        made.append(emu)
        return emu

    yield make
    for emu in made:
        await emu.stop()


async def pay_one_note(run: Run, emu: SspEmulator, value: int) -> None:
    await run.drv.set_accepting(True)
    emu.insert(value)
    await until(lambda: run.of(NoteEscrowed))
    await run.drv.stack()


async def crash_between_credit_and_commit(emu: SspEmulator, state: str) -> None:
    """A first run that takes one note of 10 yuan and dies inside its commit."""
    first = Run(emu, state, hang_commit=True).start()
    await until(lambda: first.of(DeviceOnline))
    await pay_one_note(first, emu, 1000)
    await until(lambda: first.received)
    await first.kill()
    assert first.received == [NoteCredited("validator", 1000)] and not first.credits()


async def test_plain_poll_crash_before_commit_is_credited_once_at_restart(emu_factory, tmp_path):
    emu = await emu_factory(poll_with_ack=False)
    state = str(tmp_path / "validator-ssp.json")
    await crash_between_credit_and_commit(emu, state)
    assert emu.stacked_counter == HISTORY  # the note is past the credit point, not counted yet

    second = Run(emu, state).start()
    try:
        await until(lambda: second.of(DeviceOnline))
        # the journal hears of the note before DeviceOnline, so it credits its open stack intent
        assert second.before_online() == [NoteCredited("validator", None)]
        assert emu.stacked == [1000] and emu.stacked_counter == HISTORY + 1
        assert load_state(state) == CounterState(emu.serial, HISTORY + 1)
        # and the kiosk goes on taking notes normally, each credited with its value
        await pay_one_note(second, emu, 500)
        await until(lambda: second.of(NoteStacked))
        assert second.credits() == [NoteCredited("validator", None), NoteCredited("validator", 500)]
    finally:
        await second.kill()
    assert load_state(state) == CounterState(emu.serial, HISTORY + 2)

    third = Run(emu, state).start()  # nothing missed this time: nothing credited
    try:
        await until(lambda: third.of(DeviceOnline))
        await until(lambda: emu.commands.count(Cmd.POLL) >= 5)
        assert third.credits() == [] and not third.of(ValidatorFault)
    finally:
        await third.kill()


@pytest.mark.parametrize("ack", [False, True], ids=["poll", "poll_with_ack"])
async def test_restart_after_a_normal_commit_credits_nothing(emu_factory, tmp_path, ack):
    emu = await emu_factory(poll_with_ack=ack)
    state = str(tmp_path / "validator-ssp.json")
    first = Run(emu, state).start()
    try:
        await until(lambda: first.of(DeviceOnline))
        await pay_one_note(first, emu, 2000)
        await until(lambda: first.of(NoteStacked))
        assert first.credits() == [NoteCredited("validator", 2000)]
    finally:
        await first.kill()
    second = Run(emu, state).start()
    try:
        await until(lambda: second.of(DeviceOnline))
        polls = emu.commands.count(Cmd.POLL_WITH_ACK if ack else Cmd.POLL)
        await until(lambda: emu.commands.count(Cmd.POLL_WITH_ACK if ack else Cmd.POLL) >= polls + 5)
        assert second.credits() == [] and not second.of(ValidatorFault)
        assert Cmd.GET_COUNTERS in emu.commands
    finally:
        await second.kill()
    assert emu.stacked == [2000] and load_state(state) == CounterState(emu.serial, HISTORY + 1)


async def test_poll_with_ack_crash_before_commit_is_credited_once_not_twice(emu_factory, tmp_path):
    emu = await emu_factory()  # POLL WITH ACK: the device repeats the credit until EVENT ACK
    state = str(tmp_path / "validator-ssp.json")
    await crash_between_credit_and_commit(emu, state)
    second = Run(emu, state).start()
    try:
        await until(lambda: second.of(DeviceOnline))
        assert second.before_online() == [NoteCredited("validator", None)]
        await until(lambda: emu.stacked == [1000])
        polls = emu.commands.count(Cmd.POLL_WITH_ACK)
        await until(lambda: emu.commands.count(Cmd.POLL_WITH_ACK) >= polls + 5)
        assert second.credits() == [NoteCredited("validator", None)]  # counter agreed: once
        assert not second.of(ValidatorFault)
    finally:
        await second.kill()
    third = Run(emu, state).start()
    try:
        await until(lambda: third.of(DeviceOnline))
        assert third.credits() == [] and emu.stacked_counter == HISTORY + 1
    finally:
        await third.kill()


async def test_several_uncredited_notes_fault_and_credit_only_one(emu_factory, tmp_path):
    emu = await emu_factory(poll_with_ack=False)
    state = str(tmp_path / "validator-ssp.json")
    save_state(state, CounterState(emu.serial, HISTORY - 3))
    run = Run(emu, state).start()
    try:
        await until(lambda: run.of(DeviceOnline))
        assert run.before_online() == [ValidatorFault("validator", "counters_mismatch", 3),
                                       NoteCredited("validator", None)]
        assert json.loads((tmp_path / "validator-ssp.json").read_text())["committed"] == HISTORY
    finally:
        await run.kill()


async def test_another_device_or_no_state_yet_takes_its_count(emu_factory, tmp_path):
    emu = await emu_factory(poll_with_ack=False)
    state = str(tmp_path / "validator-ssp.json")
    save_state(state, CounterState(emu.serial + 1, 12))  # the old validator, swapped out
    for _ in range(2):
        run = Run(emu, state).start()
        try:
            await until(lambda r=run: r.of(DeviceOnline))
            assert run.credits() == [] and not run.of(ValidatorFault)
        finally:
            await run.kill()
        assert load_state(state) == CounterState(emu.serial, HISTORY)
        (tmp_path / "validator-ssp.json").unlink()  # second round: no state file at all


async def test_old_firmware_cannot_tell_and_says_so(emu_factory, tmp_path):
    # older NV9 firmware: POLL WITH ACK and GET COUNTERS are unknown commands
    emu = await emu_factory(poll_with_ack=False, counters=False)
    state = str(tmp_path / "validator-ssp.json")
    await crash_between_credit_and_commit(emu, state)
    second = Run(emu, state).start()
    try:
        await until(lambda: second.of(DeviceOnline))
        online = second.of(DeviceOnline)[0]
        # the note went on into the box, but nothing the device says can show it
        assert second.before_online() == [] and online.fate_known is False
        assert "(poll)" in online.detail
        await until(lambda: emu.stacked == [1000])
        assert second.credits() == []
        # it keeps taking notes normally
        await pay_one_note(second, emu, 500)
        await until(lambda: second.of(NoteStacked))
        assert second.credits() == [NoteCredited("validator", 500)]
    finally:
        await second.kill()


@pytest.mark.parametrize("firmware", [{"poll_with_ack": True, "counters": False},
                                      {"poll_with_ack": False, "counters": True}], ids=["ack", "counters"])
async def test_either_feature_lets_the_driver_tell(emu_factory, tmp_path, firmware):
    emu = await emu_factory(**firmware)
    state = str(tmp_path / "validator-ssp.json")
    save_state(state, CounterState(emu.serial, HISTORY))
    run = Run(emu, state).start()
    try:
        await until(lambda: run.of(DeviceOnline))
        assert run.of(DeviceOnline)[0].fate_known is True
    finally:
        await run.kill()
