"""ITL SSP (NV9/NV10/NV200) bill validator driver: asyncio, polled, credit committed before its ACK.

The credit point is NOTE CREDIT (0xEE). With POLL WITH ACK (0x56) the device repeats it until
EVENT ACK (0x57), which is sent only after `commit_credit` returned; a device that refuses 0x56
is polled with plain POLL, where the next poll is the acknowledgement, so it goes out only after
the commit. A note in escrow is held with HOLD until the machine decides: stack -> the next POLL
accepts it; return -> REJECT.

eSSP (``encrypted=True``): after SYNC the driver negotiates a key (4A set generator, 4B set
modulus, 4C request key exchange, all plain) and from then on wraps every command in AES-128
(drivers/validator/essp_crypto.py). A reply whose eCOUNT is not the one expected (a replay or a
reordered packet) is refused: the session is re-negotiated before anything in it is believed.
A slave reset, a lost key (plain FA to an encrypted command) or a reconnect negotiate afresh.

Plain POLL reports a credit once, so a host dying between reading it and the commit would lose
the note. With `state_path` the driver keeps the device's GET COUNTERS "stacked" count as of its
last commit (drivers/validator/ssp_counters.py) and, at every initialisation before DeviceOnline,
reports a note the device stacked but nobody credited as NoteCredited(name, None).
"""

from __future__ import annotations

import asyncio
import logging

from drivers.base import (
    CreditCommit,
    DeviceEvent,
    DeviceOffline,
    DeviceOnline,
    EventSink,
    NoteCredited,
    NoteEscrowed,
    NoteRejected,
    NoteReturned,
    NoteStacked,
    PowerUpWithBill,
    StackerClosed,
    StackerOpened,
    ValidatorFault,
)
from drivers.errors import DeviceError, DeviceUnavailable, ProtocolError
from drivers.transport import Backoff, close_serial, open_serial
from drivers.validator.conditions import ConditionEdges
from drivers.validator.essp_crypto import (
    DEFAULT_FIXED_KEY,
    STEX,
    EsspCipher,
    KeyExchange,
    aes_key,
    from_u64,
    u64,
)
from drivers.validator.ssp import (
    REJECT_REASONS,
    Channel,
    Cmd,
    Ev,
    Event,
    Packet,
    Reply,
    SspParser,
    build_packet,
    describe,
    inhibit_mask,
    parse_counters,
    parse_events,
    parse_setup,
)
from drivers.validator.ssp_counters import CounterState, load_state, reconcile, save_state

log = logging.getLogger(__name__)

RETRIES = 3  # sends of one packet (same sequence flag) before the device counts as gone
PROTOCOL_VERSIONS = (8, 7, 6)  # highest first; 6 is the first with per-channel currencies
_RETURNED_CODES = {0x08: "reject by host", 0x13: "escrow timeout"}
_CONDITIONS = {Ev.UNSAFE_JAM: "jam:acceptor", Ev.SAFE_JAM: "jam:stacker",
               Ev.STACKER_FULL: "full", Ev.NOTE_PATH_OPEN: "path_open", Ev.FRAUD_ATTEMPT: "fraud"}


class SspValidator:
    """An ITL SSP banknote validator (slave address 0) on a serial port, 9600 8N2."""

    def __init__(
        self,
        port: str,
        *,
        name: str = "validator",
        poll_interval: float = 0.2,
        denominations: tuple[int, ...] | None = None,
        reply_timeout: float = 0.5,
        baudrate: int = 9600,
        currency: str = "CNY",
        encrypted: bool = False,
        fixed_key: bytes = DEFAULT_FIXED_KEY,
        state_path: str | None = None,
    ) -> None:
        if len(fixed_key) != 8:
            raise ValueError(f"{name}: the fixed eSSP key is 8 bytes, not {len(fixed_key)}")
        self.name = name
        self.encrypted = encrypted
        self._fixed_key = bytes(fixed_key)
        self._cipher: EsspCipher | None = None  # set once a key is negotiated
        self._ecount = 0  # eCOUNT the next encrypted command carries
        self._broken = False  # a reply on this key was refused: re-negotiate before more
        self.negotiations = 0  # key exchanges completed (start-up, resets, refused replies)
        self.port = port
        self.poll_interval = poll_interval
        self.reply_timeout = reply_timeout
        self.baudrate = baudrate
        self.currency = currency
        self._wanted = frozenset(denominations) if denominations is not None else None
        self._channels: dict[int, Channel] = {}
        self._accepting = False  # what the machine asked for; re-applied after reconnects
        self._writer: asyncio.StreamWriter | None = None
        self._parser = SspParser()
        self._packets: asyncio.Queue[Packet | None] = asyncio.Queue()
        self._lock = asyncio.Lock()  # one request/reply exchange on the wire at a time
        self._seq = 1
        self._online = False
        self._ack_mode = True
        self._sink: EventSink = lambda event: None
        self._wake = asyncio.Event()
        self._escrow: int | None = None  # value (fen) of the note held in escrow, 0 if unknown
        self._decision: str | None = None  # "stack" / "return" for the note in escrow
        self._in_path: int | None = None  # value of a note accepted or being returned
        self._credited: int | None = None  # value of the latest credited note, until STACKED
        self._edges = ConditionEdges(self.name, self._emit)
        self._box_open = False
        self.state_path = state_path  # where the committed stacked count is kept (fsynced)
        self._counts: CounterState | None = None  # None: unknown (no file yet, or new device)
        self._state_loaded = False
        self._in_transit = False  # a credit committed whose STACKED is not seen yet
        self._startup_credits = 0  # unattributed credits committed by this initialisation

    # -- public API ----------------------------------------------------------------------------

    def denominations(self) -> tuple[int, ...]:
        """Note values (fen) of the enabled channels in the device's own table, ascending."""
        return tuple(sorted({c.value for c in self._enabled_channels()}))

    async def set_accepting(self, enabled: bool) -> None:
        """Enable or disable note acceptance; remembered across reconnects (idempotent)."""
        self._accepting = enabled
        if self._online:
            await self._command(bytes((Cmd.ENABLE if enabled else Cmd.DISABLE,)))

    async def stack(self) -> None:
        """Accept the note in escrow: the next POLL (instead of HOLD) stacks it."""
        self._decide("stack")

    async def return_note(self) -> None:
        """Hand the note in escrow back: REJECT goes out instead of the next HOLD."""
        self._decide("return")

    async def run(self, sink: EventSink, commit_credit: CreditCommit) -> None:
        """Connect, initialise, poll, reconnect with backoff, until cancelled."""
        self._sink = sink
        if self.state_path and not self._state_loaded:
            self._counts = await asyncio.to_thread(load_state, self.state_path)
            self._state_loaded = True
        backoff = Backoff(initial=min(0.1, self.poll_interval * 2 + 0.01), maximum=5.0)
        offline_reason = ""
        while True:
            try:
                await self._connect()
                while True:
                    await self._initialise(commit_credit)
                    backoff.reset()
                    if not self._online:
                        self._online = True
                        log.info("%s: online at %s", self.name, self.port)
                        mode = "poll with ack" if self._ack_mode else "poll"
                        self._emit(DeviceOnline(self.name, detail=f"SSP ({mode}) at {self.port}"))
                    try:
                        await self._poll_forever(commit_credit)
                    except _Restarted:
                        continue  # the device reset under us (or lost its key): initialise again
                    except _Untrusted as err:
                        # Nothing in that reply was acted on; a new key and count before more.
                        log.warning("%s; re-negotiating", err)
                        continue
            except DeviceError as err:
                offline_reason = str(err)
            finally:
                await self._disconnect()
            if self._online:
                self._online = False
                log.warning("%s: offline: %s", self.name, offline_reason)
                self._emit(DeviceOffline(self.name, reason=offline_reason))
            await backoff.sleep()

    # -- wire ----------------------------------------------------------------------------------

    def _decide(self, decision: str) -> None:
        if not self._online:
            raise DeviceUnavailable(f"{self.name}: offline, cannot {decision} the note")
        if self._escrow is None:
            raise ProtocolError(f"{self.name}: no note in escrow to {decision}")
        self._decision = decision
        self._wake.set()  # do not let the customer wait a poll interval

    async def _connect(self) -> None:
        # 8N2 on RS-232; transport opens a pty with no parity (stop bits as the pty allows).
        reader, self._writer = await open_serial(self.port, self.baudrate, parity="N", stopbits=2)
        self._parser = SspParser()
        self._packets = asyncio.Queue()
        self._read_task = asyncio.create_task(self._read_loop(reader))

    async def _disconnect(self) -> None:
        task = getattr(self, "_read_task", None)
        if task:
            task.cancel()
            await asyncio.wait([task])  # never swallows a cancellation aimed at us
        await close_serial(self._writer)
        self._writer = None

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                chunk = await reader.read(256)
                if not chunk:
                    break
                for packet in self._parser.feed(chunk):
                    self._packets.put_nowait(packet)
                if self._parser.last_dropped:
                    log.debug("%s: dropped %s (%d bad packets so far)", self.name,
                              self._parser.last_dropped.hex(), self._parser.bad_frames)
        except Exception as err:  # the port vanished; the exchange waiting on us reports it
            log.debug("%s: read ended: %s", self.name, err)
        self._packets.put_nowait(None)  # sentinel: port closed

    async def _exchange(self, data: bytes) -> bytes:
        """Send one command and return the reply data; retransmits with the same flag."""
        async with self._lock:
            writer = self._writer
            if writer is None:
                raise DeviceUnavailable(f"{self.name}: not connected")
            cipher = self._cipher
            if cipher and self._broken:  # e.g. set_accepting after the poll loop refused a reply
                raise _Untrusted(f"{self.name}: eSSP session refused; waiting for a new key")
            # Wrapped once: a retransmission repeats the same bytes (same flag, same eCOUNT).
            raw = build_packet(self._seq, cipher.wrap(data, self._ecount) if cipher else data)
            bad_before = self._parser.bad_frames
            for _ in range(RETRIES):
                while not self._packets.empty():  # stale replies of an earlier timed-out request
                    if self._packets.get_nowait() is None:
                        raise DeviceUnavailable(f"{self.name}: port {self.port} closed")
                try:
                    writer.write(raw)
                    await writer.drain()
                except (OSError, ConnectionError) as err:
                    raise DeviceUnavailable(f"{self.name}: write to {self.port}: {err}") from err
                reply = await self._await_reply()
                if reply is not None:
                    self._seq ^= 1  # the next command is a new one
                    return self._open(reply, data[0]) if cipher else reply
                self._parser.reset()
            bad = self._parser.bad_frames - bad_before
            why = f"{bad} bad packets" if bad else "no reply"
            raise DeviceUnavailable(f"{self.name}: {why} to 0x{data[0]:02x} after {RETRIES} tries")

    def _open(self, reply: bytes, cmd: int) -> bytes:
        """The plain reply data of an encrypted exchange; checks the eCOUNT."""
        if reply[0] != STEX:
            if reply[0] == Reply.KEY_NOT_SET:  # the slave lost the key (a reset we missed)
                log.warning("%s: device lost the eSSP key; re-initialising", self.name)
                raise _KeyLost(f"{self.name}: device answered 0x{cmd:02x} with 'key not set'")
            raise _Untrusted(f"{self.name}: plain reply {describe(reply)} to encrypted 0x{cmd:02x}")
        assert self._cipher is not None
        try:
            count, inner = self._cipher.unwrap(reply)
        except ProtocolError as err:
            self._broken = True
            raise _Untrusted(f"{self.name}: reply to 0x{cmd:02x}: {err}") from err
        expected = (self._ecount + 1) & 0xFFFF_FFFF
        if count != expected:
            self._broken = True  # the counts no longer agree: nothing more on this key
            raise _Untrusted(f"{self.name}: reply to 0x{cmd:02x} carries eCOUNT {count}, "
                             f"expected {expected} (replayed or out of order); refused")
        self._ecount = expected
        return inner

    async def _negotiate(self) -> None:
        """eSSP key exchange (plain 4A / 4B / 4C); every later command is encrypted."""
        self._cipher = None
        keys = KeyExchange.for_host()
        await self._command(bytes((Cmd.SET_GENERATOR,)) + u64(keys.generator))
        await self._command(bytes((Cmd.SET_MODULUS,)) + u64(keys.modulus))
        slave_inter = from_u64(await self._command(bytes((Cmd.REQUEST_KEY_EXCHANGE,))
                                                   + u64(keys.inter)))
        self._cipher = EsspCipher(aes_key(self._fixed_key, keys.shared(slave_inter)))
        self._ecount = 0  # a fresh key starts a fresh count (ITL InitiateSSPHostKeys)
        self._broken = False
        self.negotiations += 1
        log.info("%s: eSSP key negotiated (#%d)", self.name, self.negotiations)

    async def _await_reply(self) -> bytes | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reply_timeout
        while (left := deadline - loop.time()) > 0:
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation
                async with asyncio.timeout(left):
                    packet = await self._packets.get()
            except TimeoutError:
                return None
            if packet is None:
                raise DeviceUnavailable(f"{self.name}: port {self.port} closed")
            if packet.addr == 0 and packet.seq == self._seq:
                return packet.data
            log.debug("%s: reply with the wrong flag or address dropped: %s", self.name, packet)
        return None

    async def _command(self, data: bytes) -> bytes:
        """Exchange and require the generic OK; returns the data after it."""
        reply = await self._exchange(data)
        if reply[0] != Reply.OK:
            raise _Refused(f"{self.name}: command 0x{data[0]:02x} refused: {describe(reply)}",
                           reply[0])
        return reply[1:]

    # -- protocol ------------------------------------------------------------------------------

    def _enabled_channels(self) -> list[Channel]:
        return [c for c in self._channels.values() if c.country == self.currency and c.value > 0
                and (self._wanted is None or c.value in self._wanted)]

    async def _initialise(self, commit_credit: CreditCommit) -> None:
        self._seq = 1  # SYNC goes out as 7F 80 and makes the next command carry flag 0
        self._cipher = None  # SYNC and the key exchange travel plain
        await self._command(bytes((Cmd.SYNC,)))
        if self.encrypted:
            await self._negotiate()
        for version in PROTOCOL_VERSIONS:
            reply = await self._exchange(bytes((Cmd.HOST_PROTOCOL_VERSION, version)))
            if reply[0] == Reply.OK:
                break
        else:
            raise ProtocolError(f"{self.name}: protocol versions {PROTOCOL_VERSIONS} all refused")
        setup = parse_setup(await self._command(bytes((Cmd.SETUP_REQUEST,))))
        self._channels = {c.number: c for c in setup.channels}
        others = [c for c in setup.channels if c.country != self.currency]
        if others:
            log.warning("%s: channels %s are not %s; they stay inhibited", self.name,
                        [c.number for c in others], self.currency)
        enabled = {c.number for c in self._enabled_channels()}
        await self._command(bytes((Cmd.SET_INHIBITS,)) + inhibit_mask(enabled, len(setup.channels)))
        # A note left in escrow by a previous run would be ACCEPTED by our first poll without a
        # decision (no stack intent in the journal): hand it back first. No note -> F5, harmless.
        reply = await self._exchange(bytes((Cmd.REJECT,)))
        if reply[0] == Reply.OK:
            log.warning("%s: a note was waiting in escrow at start-up; returning it", self.name)
            self._in_path = self._escrow or 0
        self._escrow, self._decision, self._credited = None, None, None
        self._edges.reset()
        self._ack_mode = True
        reply = await self._exchange(bytes((Cmd.POLL_WITH_ACK,)))
        if reply[0] != Reply.OK:
            # e.g. F2, or FA on an NV9USB that wants eSSP for 0x56. Plain SSP: the next POLL is
            # the acknowledgement of a credit (see module doc).
            log.warning("%s: POLL WITH ACK refused (%s); using POLL", self.name, describe(reply))
            self._ack_mode = False
            reply = await self._exchange(bytes((Cmd.POLL,)))
        self._startup_credits = 0
        await self._on_reply(reply, commit_credit, startup=True)
        if self.state_path:
            # after the start-up poll: a credit it repeated (POLL WITH ACK) is already counted
            await self._check_counters(commit_credit)
        await self._command(bytes((Cmd.ENABLE if self._accepting else Cmd.DISABLE,)))

    async def _check_counters(self, commit_credit: CreditCommit) -> None:
        """Credit a note the device stacked that no commit covers (a crash in plain POLL)."""
        reply = await self._exchange(bytes((Cmd.GET_COUNTERS,)))
        if reply[0] != Reply.OK:
            log.warning("%s: GET COUNTERS refused (%s); a credit lost to a host crash cannot be "
                        "detected", self.name, describe(reply))
            return
        try:
            device = parse_counters(reply[1:]).stacked
        except ProtocolError as err:
            log.error("%s: %s; counters not checked", self.name, err)
            return
        reply = await self._exchange(bytes((Cmd.GET_SERIAL_NUMBER,)))
        serial = int.from_bytes(reply[1:5], "big") if reply[0] == Reply.OK else None
        counts = self._counts
        if counts is not None and counts.serial != serial:
            log.warning("%s: device serial %s, not %s as last time: a new device; its counters "
                        "are taken as they are", self.name, serial, counts.serial)
            counts = None
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

    async def _poll_forever(self, commit_credit: CreditCommit) -> None:
        poll = bytes((Cmd.POLL_WITH_ACK if self._ack_mode else Cmd.POLL,))
        while True:
            if self._escrow is not None and self._decision != "stack":
                await self._hold_or_return()
            else:
                if self._escrow is not None:  # stack: this poll accepts the note
                    self._in_path, self._escrow, self._decision = self._escrow, None, None
                await self._on_reply(await self._exchange(poll), commit_credit)
            await self._sleep()

    async def _hold_or_return(self) -> None:
        if self._decision == "return":
            reply = await self._exchange(bytes((Cmd.REJECT,)))
        else:
            reply = await self._exchange(bytes((Cmd.HOLD,)))  # keeps the note past the 10 s
        if reply[0] != Reply.OK or self._decision == "return":
            if reply[0] != Reply.OK:  # no note in escrow any more (device timed it out?)
                log.warning("%s: escrow note gone (%s)", self.name, describe(reply))
            self._in_path, self._escrow, self._decision = self._escrow, None, None

    async def _sleep(self) -> None:
        try:
            async with asyncio.timeout(self.poll_interval):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()

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
                raise _Restarted(f"{self.name}: device reset")
            if code in _CONDITIONS:
                now.add(_CONDITIONS[code])
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
            reply = await self._exchange(bytes((Cmd.EVENT_ACK,)))  # only after the commit
            if reply[0] != Reply.OK:
                log.warning("%s: EVENT ACK answered %s", self.name, describe(reply))
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
        if not self._accepting or not self._online:
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
        """Journal the credit; on failure retry (the device is not acknowledged meanwhile)."""
        retry = Backoff(initial=0.05, maximum=2.0)
        while True:
            try:
                await commit_credit(NoteCredited(self.name, value))
                break
            except Exception:
                log.exception("%s: credit commit failed; not acknowledging, retrying", self.name)
                await retry.sleep()
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
        code = (await self._command(bytes((Cmd.LAST_REJECT_CODE,))))[:1]
        code_n = code[0] if code else None
        value, self._in_path = self._in_path, None
        if value is not None or code_n in _RETURNED_CODES:
            self._emit(NoteReturned(self.name, value or None))
            return
        reason = REJECT_REASONS.get(code_n, f"unknown 0x{code_n:02x}") if code_n is not None else ""
        self._emit(NoteRejected(self.name, reason, code_n))

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

    def _emit(self, event: DeviceEvent) -> None:
        try:
            self._sink(event)
        except Exception:  # a broken sink must not stop the polling that guards the money
            log.exception("%s: event sink failed on %r", self.name, event)


class _Refused(ProtocolError):
    """The device answered a command with something other than OK."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class _Restarted(DeviceError):
    """The device reported SLAVE RESET while we were polling; re-initialise."""


class _KeyLost(_Restarted):
    """The device answered an encrypted command with 'key not set': it reset; re-initialise."""


class _Untrusted(ProtocolError):
    """An encrypted reply that failed its eCRC or eCOUNT check; refused, then re-negotiated."""
