"""ITL SSP (NV9/NV10/NV200) bill validator driver: asyncio, polled, credit committed before its ACK.

The credit point is NOTE CREDIT (0xEE). With POLL WITH ACK (0x56) the device repeats it until
EVENT ACK (0x57), which is sent only after `commit_credit` returned; a device that refuses 0x56
is polled with plain POLL, where the next poll is the acknowledgement, so it goes out only after
the commit. A note in escrow is held with HOLD until the machine decides: stack -> the next POLL
accepts it; return -> REJECT.

The wire (sequence flag, retries, eSSP key exchange and AES) is drivers/validator/ssp_link.py;
this module is the device. eSSP (``encrypted=True``): a reply the link refuses (a replay, a
reordered or tampered packet) is never acted on; the poll loop re-negotiates the key first.

Plain POLL reports a credit once, so a host dying between reading it and the commit would lose
the note. With `state_path` the driver keeps the device's GET COUNTERS "stacked" count as of its
last commit (drivers/validator/ssp_counters.py) and, at every initialisation before DeviceOnline,
reports a note the device stacked but nobody credited as NoteCredited(name, None).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Unpack

from drivers.base import (
    CreditCommit,
    NoteEscrowed,
    NoteRejected,
    NoteReturned,
    NoteStacked,
    PowerUpWithBill,
    StackerClosed,
    StackerOpened,
    ValidatorFault,
)
from drivers.errors import DeviceUnavailable, ProtocolError
from drivers.validator.essp_crypto import DEFAULT_FIXED_KEY
from drivers.validator.ssp import (
    INHIBIT_REJECTS,
    REJECT_REASONS,
    Channel,
    Cmd,
    Ev,
    Event,
    Packet,
    Reply,
    describe,
    inhibit_mask,
    parse_counters,
    parse_events,
    parse_setup,
)
from drivers.validator.ssp_counters import CounterState, load_state, reconcile, save_state
from drivers.validator.ssp_link import SspLink, Untrusted
from drivers.validator.supervise import Restarted, Settings, Supervised

log = logging.getLogger(__name__)

PROTOCOL_VERSIONS = (8, 7, 6)  # highest first; 6 is the first with per-channel currencies
_RETURNED_CODES = {0x08: "reject by host", 0x13: "escrow timeout"}
_CONDITIONS: dict[int, str] = {Ev.UNSAFE_JAM: "jam:acceptor", Ev.SAFE_JAM: "jam:stacker",
               Ev.STACKER_FULL: "full", Ev.NOTE_PATH_OPEN: "path_open", Ev.FRAUD_ATTEMPT: "fraud"}
# a note being scanned (READ 0) has an outcome: refused, or cleared out of the front
_READ_ENDED = frozenset({Ev.REJECTING, Ev.REJECTED, Ev.FRAUD_ATTEMPT, Ev.NOTE_CLEARED_FROM_FRONT})


class SspValidator(Supervised[Packet]):
    """An ITL SSP banknote validator (slave address 0) on a serial port, 9600 8N2."""

    _link: SspLink

    def __init__(self, port: str, *, currency: str = "CNY", encrypted: bool = False,
                 fixed_key: bytes = DEFAULT_FIXED_KEY, state_path: str | None = None,
                 **settings: Unpack[Settings]) -> None:
        self._encrypted, self._fixed_key = encrypted, fixed_key  # set before the link, which uses them
        super().__init__(port, log=log, **settings)
        self.currency = currency
        self._channels: dict[int, Channel] = {}
        self._ack_mode = True
        self._escrow: int | None = None  # value (fen) of the note held in escrow, 0 if unknown
        self._decision: str | None = None  # "stack" / "return" for the note in escrow
        self._in_path: int | None = None  # value of a note accepted or being returned
        self._credited: int | None = None  # value of the latest credited note, until STACKED
        self._reading = False  # READ 0 seen (a note being scanned) and no outcome for it yet
        self._box_open = False
        self.state_path = state_path  # where the committed stacked count is kept (fsynced)
        self._counts: CounterState | None = None  # None: unknown (no file yet, or new device)
        self._state_loaded = False
        self._in_transit = False  # a credit committed whose STACKED is not seen yet
        self._startup_credits = 0  # unattributed credits committed by this initialisation
        self._fate = True  # this initialisation could tell whether a note in flight was stacked

    def _new_link(self, log: logging.Logger) -> SspLink:
        return SspLink(self.port, name=self.name, baudrate=self.baudrate, reply_timeout=self.reply_timeout,
                       encrypted=self._encrypted, fixed_key=self._fixed_key)

    # -- public API ----------------------------------------------------------------------------

    @property
    def negotiations(self) -> int:
        """eSSP key exchanges completed (start-up, resets, refused replies)."""
        return self._link.negotiations

    def denominations(self) -> tuple[int, ...]:
        """Note values (fen) of the enabled channels in the device's own table, ascending."""
        return tuple(sorted({c.value for c in self._enabled_channels()}))

    async def _apply_accepting(self, enabled: bool) -> None:
        """ENABLE or DISABLE."""
        await self._link.command(bytes((Cmd.ENABLE if enabled else Cmd.DISABLE,)))

    async def stack(self) -> None:
        """Accept the note in escrow: the next POLL (instead of HOLD) stacks it."""
        self._decide("stack")

    async def return_note(self) -> None:
        """Hand the note in escrow back: REJECT goes out instead of the next HOLD."""
        self._decide("return")

    # -- protocol ------------------------------------------------------------------------------

    def _decide(self, decision: str) -> None:
        if not self.supervisor.online:
            raise DeviceUnavailable(f"{self.name}: offline, cannot {decision} the note")
        if self._escrow is None:
            raise ProtocolError(f"{self.name}: no note in escrow to {decision}")
        self._decision = decision
        self.supervisor.wake()  # do not let the customer wait a poll interval

    def _enabled_channels(self) -> list[Channel]:
        return [c for c in self._channels.values() if c.country == self.currency and c.value > 0
                and (self._wanted is None or c.value in self._wanted)]

    def online_detail(self) -> str:
        """What DeviceOnline says (and whether credits are acknowledged with EVENT ACK)."""
        mode = "poll with ack" if self._ack_mode else "poll"
        return f"SSP ({mode}) at {self.port}"

    def fate_known(self) -> bool:
        """False when neither POLL WITH ACK nor the counters could say whether a note was stacked."""
        return self._fate

    async def initialise(self, commit_credit: CreditCommit) -> None:
        """SYNC (and eSSP key), protocol version, channels, inhibits; settle what the device holds."""
        if self.state_path and not self._state_loaded:
            self._counts = await asyncio.to_thread(load_state, self.state_path)
            self._state_loaded = True
        await self._link.synchronise()
        for version in PROTOCOL_VERSIONS:
            reply = await self._link.exchange(bytes((Cmd.HOST_PROTOCOL_VERSION, version)))
            if reply[0] == Reply.OK:
                break
        else:
            raise ProtocolError(f"{self.name}: protocol versions {PROTOCOL_VERSIONS} all refused")
        setup = parse_setup(await self._link.command(bytes((Cmd.SETUP_REQUEST,))))
        self._channels = {c.number: c for c in setup.channels}
        others = [c for c in setup.channels if c.country != self.currency]
        if others:
            log.warning("%s: channels %s are not %s; they stay inhibited", self.name,
                        [c.number for c in others], self.currency)
        enabled = {c.number for c in self._enabled_channels()}
        await self._link.command(bytes((Cmd.SET_INHIBITS,)) + inhibit_mask(enabled, len(setup.channels)))
        # A note left in escrow by a previous run would be ACCEPTED by our first poll without a
        # decision (no stack intent in the journal): hand it back first. No note -> F5, harmless.
        reply = await self._link.exchange(bytes((Cmd.REJECT,)))
        if reply[0] == Reply.OK:
            log.warning("%s: a note was waiting in escrow at start-up; returning it", self.name)
            self._in_path = self._escrow or 0
        self._escrow, self._decision, self._credited, self._reading = None, None, None, False
        self._edges.reset()
        self._ack_mode = True
        reply = await self._link.exchange(bytes((Cmd.POLL_WITH_ACK,)))
        if reply[0] != Reply.OK:
            # e.g. F2, or FA on an NV9USB that wants eSSP for 0x56. Plain SSP: the next POLL is
            # the acknowledgement of a credit (see module doc).
            log.warning("%s: POLL WITH ACK refused (%s); using POLL", self.name, describe(reply))
            self._ack_mode = False
            reply = await self._link.exchange(bytes((Cmd.POLL,)))
        self._startup_credits = 0
        await self._on_reply(reply, commit_credit, startup=True)
        # POLL WITH ACK repeats a credit the host never acknowledged; plain POLL reported it once,
        # so only the counters (below) can tell, or a credit this start-up poll reported itself
        self._fate = self._ack_mode or self._startup_credits > 0
        if self.state_path:
            # after the start-up poll: a credit it repeated (POLL WITH ACK) is already counted
            await self._check_counters(commit_credit)
        if not self._fate:
            log.warning("%s: plain POLL and no usable GET COUNTERS: a note stacked while the host "
                        "was down cannot be told from one returned (it is kept in doubt)", self.name)
        await self._link.command(bytes((Cmd.ENABLE if self._accepting else Cmd.DISABLE,)))

    async def _check_counters(self, commit_credit: CreditCommit) -> None:
        """Credit a note the device stacked that no commit covers (a crash in plain POLL)."""
        reply = await self._link.exchange(bytes((Cmd.GET_COUNTERS,)))
        if reply[0] != Reply.OK:
            log.warning("%s: GET COUNTERS refused (%s); a credit lost to a host crash cannot be "
                        "detected", self.name, describe(reply))
            return
        try:
            device = parse_counters(reply[1:]).stacked
        except ProtocolError as err:
            log.error("%s: %s; counters not checked", self.name, err)
            return
        reply = await self._link.exchange(bytes((Cmd.GET_SERIAL_NUMBER,)))
        serial = int.from_bytes(reply[1:5], "big") if reply[0] == Reply.OK else None
        counts = self._counts
        if counts is not None and counts.serial != serial:
            log.warning("%s: device serial %s, not %s as last time: a new device; its counters "
                        "are taken as they are", self.name, serial, counts.serial)
            counts = None
        self._fate = self._fate or counts is not None  # a count to compare with: it can tell
        verdict = reconcile(counts.committed if counts else None, device, self._in_transit)
        if verdict.missed:
            if verdict.missed > 1 or self._startup_credits:
                # the journal can attribute at most one note (its one open stack intent)
                log.critical("%s: counters mismatch: %s (device %d, committed %s, %d credits "
                             "already reported at start-up)", self.name, verdict.note, device,
                             counts.committed if counts else None, self._startup_credits)
                self._emit(ValidatorFault(self.name, "counters_mismatch", verdict.missed))
            else:
                log.warning("%s: %s: a credit lost to a host crash; crediting it now",
                            self.name, verdict.note)
            if not self._startup_credits:
                await self._commit(commit_credit, None)
        elif verdict.note:
            log.warning("%s: %s (device %d)", self.name, verdict.note, device)
        await self._save_counts(CounterState(serial, verdict.committed))

    async def poll_once(self, commit_credit: CreditCommit) -> bool:
        """HOLD/REJECT a note in escrow, else POLL (WITH ACK); fast while enabled or a note moves."""
        try:
            if self._escrow is not None and self._decision != "stack":
                await self._hold_or_return()
            else:
                if self._escrow is not None:  # stack: this poll accepts the note
                    self._in_path, self._escrow, self._decision = self._escrow, None, None
                poll = Cmd.POLL_WITH_ACK if self._ack_mode else Cmd.POLL
                await self._on_reply(await self._link.exchange(bytes((poll,))), commit_credit)
        except Untrusted as err:
            # Nothing in that reply was acted on; a new key and count before more.
            log.warning("%s; re-negotiating", err)
            raise Restarted(str(err)) from err
        # a device enabled for a customer at the cash step (who may insert a note any moment),
        # and a note in escrow, in the path or credited but not yet stacked, are followed closely;
        # a disabled device that is idle or stuck (jam, box full) is polled at the configured rate
        moving = not self._edges.active and (self._reading or self._escrow is not None
                                             or self._in_path is not None or self._credited is not None)
        return self._accepting or moving

    async def _hold_or_return(self) -> None:
        if self._decision == "return":
            reply = await self._link.exchange(bytes((Cmd.REJECT,)))
        else:
            reply = await self._link.exchange(bytes((Cmd.HOLD,)))  # keeps the note past the 10 s
        if reply[0] != Reply.OK or self._decision == "return":
            if reply[0] != Reply.OK:  # no note in escrow any more (device timed it out?)
                log.warning("%s: escrow note gone (%s)", self.name, describe(reply))
            self._in_path, self._escrow, self._decision = self._escrow, None, None

    async def _on_reply(self, reply: bytes, commit_credit: CreditCommit, *,
                        startup: bool = False) -> None:
        if reply[0] != Reply.OK:
            log.warning("%s: poll refused: %s", self.name, describe(reply))
            return
        events = parse_events(reply[1:])
        now: set[str] = set()
        to_ack = False
        for event in events:
            code = event.code
            if code == Ev.SLAVE_RESET and not startup:
                log.warning("%s: device reset; re-initialising", self.name)
                raise Restarted(f"{self.name}: device reset")
            if code in _CONDITIONS:
                now.add(_CONDITIONS[code])
            if code == Ev.READ:
                self._reading = not event.channel  # 0: still scanning; a channel: in escrow
            elif code in _READ_ENDED:
                self._reading = False
            if code == Ev.READ and event.channel:
                self._on_read(event.channel)
            elif code == Ev.CREDIT:
                value = None if startup else self._value_of(event.channel)
                await self._commit(commit_credit, value)
                self._in_transit = True  # the device may count it only once it is stacked
                self._startup_credits += startup
                # at start-up the journal prices the note; NoteStacked still wants a value
                self._credited = value if value is not None else self._in_path
                self._in_path = None
                to_ack = True
            elif code == Ev.NOTE_CLEARED_INTO_CASHBOX:
                log.warning("%s: a note in the path went into the box at power-up", self.name)
                await self._commit(commit_credit, None)
                self._in_transit = False  # any credited note went into the box at power-up
                self._startup_credits += startup
                self._emit(PowerUpWithBill(self.name, "stacker"))
                to_ack = True
            elif code == Ev.NOTE_CLEARED_FROM_FRONT:
                self._emit(PowerUpWithBill(self.name, "acceptor"))
            elif code == Ev.STACKED:
                self._in_transit = False
                if self._credited:
                    self._emit(NoteStacked(self.name, self._credited))
                self._credited = None
            elif code == Ev.REJECTED:
                await self._on_rejected()
            elif code == Ev.CASHBOX_REMOVED and not self._box_open:
                self._box_open = True
                self._emit(StackerOpened(self.name))
            elif code == Ev.CASHBOX_REPLACED and self._box_open:
                self._box_open = False
                self._emit(StackerClosed(self.name))
            elif code == Ev.CHANNEL_DISABLE:
                log.warning("%s: every channel is inhibited", self.name)
            elif code not in Ev.__members__.values():
                log.warning("%s: unknown poll event %s", self.name, event)
        if to_ack and self._ack_mode:
            reply = await self._link.exchange(bytes((Cmd.EVENT_ACK,)))  # only after the commit
            if reply[0] != Reply.OK:
                log.warning("%s: EVENT ACK answered %s", self.name, describe(reply))
        if to_ack:
            # committed (and acknowledged with EVENT ACK, or by the next POLL in plain SSP):
            # the next poll says STACKED
            self.supervisor.wake()
        self._conditions_edge(now, events)

    def _on_read(self, channel: int) -> None:
        if self._escrow is not None:
            return  # the same note, reported again
        value = self._value_of(channel)
        if value is None:
            log.warning("%s: escrow channel %d is not an enabled %s note; returning it",
                        self.name, channel, self.currency)
            self._escrow, self._decision = 0, "return"
            return
        if not self._accepting or not self.supervisor.online:
            # inhibited by the host (or still starting): nobody will decide on this note, and
            # HOLD would keep it forever; hand it back (the SIGKILL harness found this)
            log.warning("%s: note of %d fen in escrow while inhibited; returning it", self.name, value)
            self._escrow, self._decision = value, "return"
            return
        self._escrow, self._decision = value, None
        self._emit(NoteEscrowed(self.name, value))

    def _value_of(self, channel: int | None) -> int | None:
        c = self._channels.get(channel or 0)
        if c is None or c.country != self.currency or c.value <= 0:
            return None
        return c.value

    async def _commit(self, commit_credit: CreditCommit, value: int | None) -> None:
        """Journal the credit (retried until it sticks), then the count it makes."""
        await self._commit_until_stored(commit_credit, value)
        if self._counts is not None:
            # before the acknowledgement (next POLL / EVENT ACK): no new stack intent can be
            # open if we die before this write, so the None credit it causes settles nothing
            await self._save_counts(CounterState(self._counts.serial, self._counts.committed + 1))

    async def _save_counts(self, counts: CounterState) -> None:
        self._counts = counts
        if not self.state_path:
            return
        try:
            await asyncio.to_thread(save_state, self.state_path, counts)
        except OSError as err:  # the journal holds the credit; only the crash check suffers
            log.error("%s: cannot write %s: %s", self.name, self.state_path, err)

    async def _on_rejected(self) -> None:
        code = (await self._link.command(bytes((Cmd.LAST_REJECT_CODE,))))[:1]
        code_n = code[0] if code else None
        value, self._in_path = self._in_path, None
        if value is not None or code_n in _RETURNED_CODES:
            self._emit(NoteReturned(self.name, value or None))
            return
        reason = REJECT_REASONS.get(code_n, f"unknown 0x{code_n:02x}") if code_n is not None else ""
        self._emit(NoteRejected(self.name, reason, code_n, inhibited=code_n in INHIBIT_REJECTS))

    def _conditions_edge(self, now: set[str], events: list[Event]) -> None:
        """Emit edge events for lasting conditions: jams, stacker full, note path open, fraud."""
        def fault(cond: str) -> ValidatorFault | None:
            if cond == "path_open":
                return ValidatorFault(self.name, "note path open")
            if cond == "fraud":
                ch = next((e.channel for e in events if e.code == Ev.FRAUD_ATTEMPT), None)
                return ValidatorFault(self.name, "fraud attempt", ch)
            return None

        self._edges.update(now, fault)
