"""What every bill-validator driver must do alike, each against its own emulator over a real pty."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
)
from drivers.registry import VALIDATORS
from tests.validator_common import Harness, running


@dataclass(frozen=True)
class Protocol:
    """One driver and its emulator (drivers/registry.py), and the few words in which they differ."""

    emulator: Callable[..., object]
    driver: Callable[..., BillValidator]
    inhibited: NoteRejected  # how a note of a denomination the machine did not enable is refused
    counterfeit: NoteRejected  # how the emulator's counterfeit is refused
    emulator_kw: dict = field(default_factory=dict)
    passed_on: tuple[str, ...] = ()  # emulator settings the driver must be told (ccTalk checksum)
    bad_replies: str = "bad frames"  # how the offline reason names replies that fail their CRC
    # the host's ACK of a credit may reach the device after NoteStacked (ccnet, ccTalk); with
    # ID-003 and SSP it must already have arrived
    late_ack: bool = False


def _rejected(refusal: tuple[str, int], *, inhibited: bool) -> NoteRejected:
    return NoteRejected("validator", *refusal, inhibited=inhibited)


def _protocols() -> dict[str, Protocol]:
    """Every row of the driver table, once per emulator variant (ccTalk: each checksum)."""
    found = {}
    for kind in VALIDATORS.values():
        emulator, driver = kind.emulator_class(), kind.driver_class()
        for variant, settings in emulator.variants.items():
            found[f"{kind.name}-{variant}" if variant else kind.name] = Protocol(
                emulator, driver, inhibited=_rejected(emulator.refusals["inhibited"], inhibited=True),
                counterfeit=_rejected(emulator.refusals["counterfeit"], inhibited=False), emulator_kw=settings,
                passed_on=tuple(settings), bad_replies=f"bad {kind.frames}",
                late_ack=kind.acked_after_stacked)
    return found


PROTOCOLS = _protocols()
CCTALK = [name for name in PROTOCOLS if name.startswith("cctalk-")]
ALL = list(PROTOCOLS)


def over(*names: str):
    """Parametrise a test over the named protocols (`proto` feeds the emu fixture)."""
    return pytest.mark.parametrize("proto", names)


@pytest.fixture
async def emu(proto, tmp_path):
    spec = PROTOCOLS[proto]
    e = spec.emulator(link=str(tmp_path / "validator"), **spec.emulator_kw)
    await e.start()
    yield e
    await e.stop()


def make_harness(proto: str, emu, **kw) -> Harness:
    """A harness running `proto`'s driver against `emu`."""
    spec = PROTOCOLS[proto]
    return Harness(spec.driver, emu, **{k: getattr(emu, k) for k in spec.passed_on}, **kw)


@pytest.fixture
async def h(proto, emu):
    async with running(make_harness(proto, emu)) as harness:
        await harness.until(lambda: harness.of(DeviceOnline))
        yield harness


@over(*ALL)
async def test_configured_denominations_only(proto, emu):
    async with running(make_harness(proto, emu, denominations=(1000, 10000))) as h:
        await h.until(lambda: h.of(DeviceOnline))
        assert h.drv.denominations() == (1000, 10000)
        await h.drv.set_accepting(True)
        emu.insert(500)
        await h.until(lambda: h.of(NoteRejected))
        assert h.of(NoteRejected) == [PROTOCOLS[proto].inhibited]
        assert emu.stacked == [] and emu.rejected == [500] and not h.credits


@over(*ALL)
async def test_counterfeit_is_rejected_with_its_reason(h, proto):
    await h.drv.set_accepting(True)
    h.emu.insert_counterfeit()
    await h.until(lambda: h.of(NoteRejected))
    assert h.of(NoteRejected) == [PROTOCOLS[proto].counterfeit]
    assert not h.of(NoteEscrowed) and not h.credits and h.emu.rejected == [-1]


@over(*ALL)
async def test_failed_commit_is_not_acknowledged_and_is_retried_once_only(h, proto):
    calls = []

    async def flaky(credit):
        calls.append((credit, len(h.emu.ack_times)))
        if len(calls) == 1:
            raise OSError("disk full")

    h.commit_hook = flaky
    await h.drv.set_accepting(True)
    h.emu.insert(5000)
    await h.until(lambda: h.of(NoteStacked))
    if PROTOCOLS[proto].late_ack:
        await h.until(lambda: h.emu.ack_times)
    assert [c for c, _ in calls] == [NoteCredited("validator", 5000)] * 2
    assert [acks for _, acks in calls] == [0, 0]  # the failed commit left the credit un-ACKed
    assert h.credits == [NoteCredited("validator", 5000)] and len(h.of(NoteStacked)) == 1
    assert len(h.emu.ack_times) == 1 and h.credit_ns[0] < h.emu.ack_times[0]
    assert h.emu.stacked == [5000]


@over(*ALL)
async def test_escrow_then_return(h):
    h.on_escrow = "return"
    await h.drv.set_accepting(True)
    h.emu.insert(2000)
    await h.until(lambda: h.of(NoteReturned))
    assert h.of(NoteReturned) == [NoteReturned("validator", 2000)]
    assert h.emu.returned == [2000] and h.emu.stacked == [] and not h.credits
    assert not h.of(NoteRejected)


@over(*ALL)
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


@over(*ALL)
async def test_a_note_held_in_stacking_reports_nothing_until_it_lands_once(h):
    """stall_stacking: the note stays on its way into the box and the driver, polling on, reports no
    outcome (the kiosk's [timeouts] note_progress ends the customer's wait); freed, it lands once."""
    h.emu.set_fault("stall_stacking", True)
    await h.drv.set_accepting(True)
    h.emu.insert(2000)
    await h.until(lambda: h.of(NoteEscrowed))
    await h.drv.settle(10)  # ten polls with the note held
    assert not h.credits and not h.emu.stacked and h.emu.returned == []
    assert not (h.of(NoteStacked) or h.of(NoteJam) or h.of(NoteReturned) or h.of(DeviceOffline))
    h.emu.set_fault("stall_stacking", False)
    await h.until(lambda: h.of(NoteStacked))
    assert h.credits == [NoteCredited("validator", 2000)] and h.emu.stacked == [2000]


@over(*ALL)
async def test_stacker_full_and_box_removed(h):
    h.emu.set_fault("stacker_full", True)
    await h.until(lambda: h.of(StackerFull))
    h.emu.set_fault("stacker_full", False)
    h.emu.set_fault("box_removed", True)
    await h.until(lambda: h.of(StackerOpened))
    h.emu.set_fault("box_removed", False)
    await h.until(lambda: h.of(StackerClosed))
    assert len(h.of(StackerFull)) == 1 and len(h.of(StackerOpened)) == 1


@over(*ALL)
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


@over("id003", "ssp", *CCTALK)
@pytest.mark.parametrize("fault", ["silence", "bad_crc"])
async def test_offline_once_and_online_again(h, proto, fault):
    await h.drv.set_accepting(True)
    h.emu.set_fault(fault, True)
    await h.until(lambda: h.of(DeviceOffline))
    reason = h.of(DeviceOffline)[0].reason
    bad_replies = PROTOCOLS[proto].bad_replies
    assert (bad_replies in reason) == (fault == "bad_crc") and "validator" in reason
    h.emu.set_fault(fault, False)
    await h.until(lambda: len(h.of(DeviceOnline)) == 2)
    assert len(h.of(DeviceOffline)) == 1
    assert h.emu.accepting  # the machine's choice survives the reconnect


@over(*ALL)
async def test_reconnect_after_the_port_is_closed_and_reopened(h):
    await h.drv.set_accepting(True)
    await h.emu.close_port()
    await h.until(lambda: h.of(DeviceOffline))
    await h.emu.reopen_port()
    await h.until(lambda: len(h.of(DeviceOnline)) == 2)
    assert h.emu.accepting
    h.emu.insert(500)
    await h.until(lambda: h.of(NoteStacked))
    assert h.emu.stacked == [500] and h.credits == [NoteCredited("validator", 500)]
