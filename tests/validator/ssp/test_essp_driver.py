"""eSSP: the SSP driver against the emulator with encryption required, over a real pty."""

from __future__ import annotations

import asyncio
import logging

import pytest

from drivers.base import (
    DeviceOffline,
    DeviceOnline,
    NoteCredited,
    NoteEscrowed,
    NoteStacked,
)
from drivers.validator.emulators.ssp_emu import SspEmulator
from drivers.validator.ssp import Cmd, Ev, parse_events
from drivers.validator.ssp_device import SspValidator
from tests.validator.ssp.test_ssp_driver import make_harness
from tests.validator_common import emulator_fixture, online_harness_fixture, running

KEY_EXCHANGE = [Cmd.SYNC, Cmd.SET_GENERATOR, Cmd.SET_MODULUS, Cmd.REQUEST_KEY_EXCHANGE]


emu = emulator_fixture(SspEmulator, encrypted=True)
h = online_harness_fixture(make_harness, encrypted=True)


def test_fixed_key_must_be_64_bits():
    with pytest.raises(ValueError, match="8 bytes"):
        SspValidator("/dev/null", encrypted=True, fixed_key=b"\x01\x23\x45")


async def test_key_exchange_first_then_every_command_encrypted(h):
    assert h.emu.commands[:4] == KEY_EXCHANGE
    assert h.drv.negotiations == h.emu.negotiations == 1
    # the emulator answers POLL WITH ACK only when it came encrypted: no fallback to plain POLL
    assert "poll with ack" in h.of(DeviceOnline)[0].detail
    await h.drv.set_accepting(True)
    assert h.emu.accepting
    await h.until(lambda: h.emu.commands.count(Cmd.POLL_WITH_ACK) >= 3)
    after_exchange = len(h.emu.commands) - len(KEY_EXCHANGE)
    assert len(h.emu.encrypted_replies) == after_exchange  # every one of them was encrypted


async def test_note_escrowed_then_stacked_committed_before_the_encrypted_event_ack(h):
    seen_acks_during_commit = []

    async def slow_commit(credit):
        await asyncio.sleep(0.05)  # a journal fsync; the device must still be waiting
        seen_acks_during_commit.append(len(h.emu.ack_times))

    h.commit_hook = slow_commit
    h.on_escrow = None  # the machine decides later
    await h.drv.set_accepting(True)
    h.emu.insert(10000)
    await h.until(lambda: h.of(NoteEscrowed))
    await h.until(lambda: h.emu.commands.count(Cmd.HOLD) >= 3)  # held, encrypted, meanwhile
    assert h.emu.state == "escrow" and not h.credits
    await h.drv.stack()
    await h.until(lambda: h.of(NoteStacked))
    assert h.of(NoteEscrowed) == [NoteEscrowed("validator", 10000)]
    assert h.credits == [NoteCredited("validator", 10000)]
    assert h.of(NoteStacked) == [NoteStacked("validator", 10000)]
    assert seen_acks_during_commit == [0] and len(h.emu.ack_times) == 1
    assert h.credit_ns[0] < h.emu.ack_times[0]
    assert h.emu.stacked == [10000]


def _credit_reply(emu: SspEmulator) -> bytes:
    """The wrapped bytes of the first encrypted poll reply that carried NOTE CREDIT."""
    for plain, wrapped in emu.encrypted_replies:
        if plain[0] == 0xF0 and any(e.code == Ev.CREDIT for e in parse_events(plain[1:])):
            return wrapped
    raise AssertionError("no credit reply recorded")


@pytest.mark.parametrize("attack", ["replayed", "tampered"])
async def test_a_replayed_or_tampered_credit_reply_is_refused_and_the_key_renewed(
        h, attack, caplog):
    caplog.set_level(logging.WARNING, logger="drivers.validator.ssp_device")
    await h.drv.set_accepting(True)
    h.emu.insert(2000)
    await h.until(lambda: h.of(NoteStacked))
    old = _credit_reply(h.emu)
    if attack == "tampered":
        old = old[:-1] + bytes((old[-1] ^ 0x20,))
    # an attacker on the line answers the next command with the old "credit 20 yuan" reply
    h.emu.inject_reply = old
    await h.until(lambda: h.drv.negotiations == 2)
    reason = "eCOUNT" if attack == "replayed" else "eCRC"
    assert any(reason in r.getMessage() and "re-negotiating" in r.getMessage()
               for r in caplog.records)
    assert h.credits == [NoteCredited("validator", 2000)]  # not credited twice
    h.emu.insert(5000)
    await h.until(lambda: len(h.of(NoteStacked)) == 2)
    assert h.credits == [NoteCredited("validator", 2000), NoteCredited("validator", 5000)]
    assert h.emu.stacked == [2000, 5000] and h.emu.negotiations == 2
    assert not h.of(DeviceOffline)  # re-negotiated in place, the customer saw nothing


async def test_slave_reset_loses_the_key_and_the_driver_negotiates_again(h):
    await h.drv.set_accepting(True)
    h.emu.set_fault("power_cycle", True)
    h.emu.set_fault("power_cycle", False)  # a blink: the next encrypted command finds no key
    await h.until(lambda: h.drv.negotiations == 2 and h.emu.accepting)
    assert h.emu.negotiations == 2 and not h.of(DeviceOffline)
    h.emu.insert(1000)
    await h.until(lambda: h.of(NoteStacked))
    assert h.credits == [NoteCredited("validator", 1000)] and h.emu.stacked == [1000]


async def test_reconnect_negotiates_a_new_key(h):
    await h.drv.set_accepting(True)
    await h.emu.close_port()
    await h.until(lambda: h.of(DeviceOffline))
    await h.emu.reopen_port()
    await h.until(lambda: len(h.of(DeviceOnline)) == 2)
    assert h.drv.negotiations == h.emu.negotiations == 2
    h.emu.insert(5000)
    await h.until(lambda: h.of(NoteStacked))
    assert h.credits == [NoteCredited("validator", 5000)] and h.emu.stacked == [5000]


async def test_plain_driver_on_an_essp_device_falls_back_to_plain_poll(emu):
    async with running(make_harness(emu)) as h:
        await h.until(lambda: h.of(DeviceOnline))
        assert "SSP (poll)" in h.of(DeviceOnline)[0].detail  # 0x56 refused: key not set
        await h.drv.set_accepting(True)
        emu.insert(2000)
        await h.until(lambda: h.of(NoteStacked))
        assert h.credits == [NoteCredited("validator", 2000)] and emu.encrypted_replies == []


async def test_encrypted_driver_on_a_device_that_does_not_insist_still_encrypts():
    emu = SspEmulator()  # what `--simulate` builds today: eSSP offered, not required
    await emu.start()
    h = make_harness(emu, encrypted=True)
    h.start()
    try:
        await h.until(lambda: h.of(DeviceOnline))
        await h.drv.set_accepting(True)
        emu.insert(1000)
        await h.until(lambda: h.of(NoteStacked))
        assert emu.commands[:4] == KEY_EXCHANGE and emu.negotiations == 1
        assert h.credits == [NoteCredited("validator", 1000)]
        assert len(emu.encrypted_replies) == len(emu.commands) - len(KEY_EXCHANGE)
    finally:
        await h.stop()
        await emu.stop()
