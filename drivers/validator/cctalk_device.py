"""ccTalk bill validator driver: asyncio, polled 159 event buffer, credit committed before the next read.

The ccTalk device keeps its last five events and a counter; reading the next block after the one
that carried "bill type N credited" is what acknowledges it. So the driver never sends another
159 before `commit_credit` has returned (simple polls keep the device alive meanwhile).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Unpack

from drivers.base import (
    CreditCommit,
    DeviceEvent,
    EventSink,
    JamCleared,
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
from drivers.errors import DeviceUnavailable, ProtocolError
from drivers.statefile import write_json
from drivers.validator.cctalk import (
    BILL_TYPES,
    BILL_VALIDATOR,
    HOST,
    INHIBIT_STATUSES,
    MODE_STACKER_AND_ESCROW,
    ROUTE_ERRORS,
    STATUS_EVENTS,
    CctalkParser,
    EventBlock,
    EventKind,
    Frame,
    Header,
    Route,
    Scaling,
    bill_value_fen,
    build_frame,
    describe,
    describe_event,
    inhibit_mask,
    new_events,
    parse_bill_id,
    parse_event_block,
    parse_scaling,
)
from drivers.validator.link import RETRIES, SerialLink
from drivers.validator.supervise import Restarted, Settings, Supervised

log = logging.getLogger(__name__)

INHIBIT_CHECK_PERIOD = 1.0  # seconds between read-backs of the master inhibit (227)
# seconds a stopping driver waits for its counter's save in flight: one small fsynced write
SAVE_WAIT = 5.0


class CctalkValidator(Supervised[Frame]):
    """A ccTalk bill validator (address 40) on a serial port (9600 8N1, single wire with echo).

    `state_path` (optional) keeps the last event counter read, fsynced before the next read, so
    a restarted driver tells a credit it never committed from one an earlier run committed.
    """

    REPLY_TIMEOUT = 0.3  # seconds

    def __init__(self, port: str, *, checksum: str = "simple", address: int = BILL_VALIDATOR,
                 state_path: str | None = None, **settings: Unpack[Settings]) -> None:
        self.checksum = checksum
        self.address = address  # set before the link: its parser filters on them
        super().__init__(port, log=log, **settings)
        if self.poll_interval > 0.2:
            # TUT: a validator left unpolled for 5 s disables itself; C4J polls every 200 ms.
            raise ValueError(f"{self.name}: poll_interval {self.poll_interval} s is above 0.2 s")
        self.state_path = state_path
        self._table: dict[int, int] = {}  # bill type -> value in fen, from 157 + 156
        self._state_loaded = False  # the counter kept by an earlier run was read
        self._inhibit_checked = 0.0  # loop time of the last master inhibit read-back
        self._last_counter: int | None = None  # the counter of the last block fully handled
        self._escrow_value: int | None = None
        self._box_open = False
        self._routed = False  # 154 "stack" accepted, credit event not read yet
        self._saving: asyncio.Future[None] | None = None  # the counter's save on its thread
        self.echoes = 0  # own frames read back from the wire and dropped

    def _new_link(self, log: logging.Logger) -> SerialLink[Frame]:
        return SerialLink[Frame](
            self.port, name=self.name, log=log, baudrate=self.baudrate, parity="N", feed=self._replies,
            parser=lambda: CctalkParser(self.checksum, dests={HOST, self.address}),
            describe=describe, unexpected="%s: unexpected frame %s")

    # -- public API ----------------------------------------------------------------------------

    async def run(self, sink: EventSink, commit_credit: CreditCommit) -> None:
        """Supervised.run; stopped, it waits (bounded) for its counter's save in flight to land."""
        try:
            await super().run(sink, commit_credit)
        finally:
            # a save landing after this stop could overwrite the counter of a driver started after
            # it in this process, or be missed by that driver's read of it at start
            await self._save_landed()

    def denominations(self) -> tuple[int, ...]:
        """Note values (fen) from the device's bill table, restricted to the configured ones."""
        return tuple(sorted(v for v in set(self._table.values())
                            if self._wanted is None or v in self._wanted))

    def report_again(self, event: type[DeviceEvent]) -> None:
        """Nothing to forget: ccTalk reports stacker full and faults as one-off buffered events, and
        the device reports a still-full stacker again at its next attempt to stack."""

    async def _apply_accepting(self, enabled: bool) -> None:
        """Lift (True) or set (False) the master inhibit (228)."""
        await self._command(Header.MODIFY_MASTER_INHIBIT_STATUS, bytes((int(enabled),)))

    async def stack(self) -> None:
        """Route the note in escrow to the stacker (154, 1); raises DeviceError if refused."""
        await self._route(Route.STACK)

    async def return_note(self) -> None:
        """Route the note in escrow back to the customer (154, 0); raises DeviceError if refused."""
        await self._route(Route.RETURN)

    # -- wire ----------------------------------------------------------------------------------

    def _replies(self, chunk: bytes) -> Iterator[Frame]:
        """The frames in `chunk` but our own requests, which the single wire echoes back."""
        for frame in self._link.parser.feed(chunk):
            if frame.dest == self.address:
                self.echoes += 1  # our own request read back off the single wire
            else:
                yield frame

    async def _exchange(self, header: int, data: bytes = b"") -> Frame:
        """Send one request and return the device's reply (ACK or NAK); raises DeviceUnavailable."""
        async with self._link.lock:
            raw = build_frame(self.address, HOST, header, data, self.checksum)
            return await self._link.request(raw, header, within=self.reply_timeout, retries=RETRIES,
                                            accept=self._from_device, again=_busy,
                                            what="header {}")

    def _from_device(self, frame: Frame) -> bool:
        return frame.src in (None, self.address) and frame.header in (0, Header.NAK, Header.BUSY)

    async def _command(self, header: int, data: bytes = b"") -> bytes:
        """One request that must be ACKed; returns the reply data; raises ProtocolError on NAK."""
        frame = await self._exchange(header, data)
        if frame.header != Header.REPLY:
            raise ProtocolError(f"{self.name}: header {header} ({data.hex()}) refused: {describe(frame)}")
        return frame.data

    async def _route(self, code: int) -> None:
        if not self.supervisor.online or not self._link.connected:
            raise DeviceUnavailable(f"{self.name}: offline, cannot route the bill ({code})")
        reply = await self._command(Header.ROUTE_BILL, bytes((code,)))
        if reply:
            why = ROUTE_ERRORS.get(reply[0], f"error {reply[0]}")
            raise ProtocolError(f"{self.name}: route bill {code} refused: {why}")
        self._routed = code == Route.STACK
        self.supervisor.wake()  # the note is on its way (in or back): read its events now

    async def _read_events(self) -> EventBlock:
        return parse_event_block(await self._command(Header.READ_BUFFERED_BILL_EVENTS))

    # -- protocol ------------------------------------------------------------------------------

    def online_detail(self) -> str:
        """What DeviceOnline says."""
        return f"ccTalk at {self.port}"

    async def initialise(self, commit_credit: CreditCommit) -> None:
        """Inhibit, settle the events left from before, set the mode, read the table, enable."""
        if not self._state_loaded and self.state_path:
            self._state_loaded = True
            if self._last_counter is None:
                self._last_counter = await asyncio.to_thread(_load_counter, self.state_path)
        await self._command(Header.SIMPLE_POLL)
        # Inhibit first: until the machine says otherwise no note may go in (invariant 1).
        await self._command(Header.MODIFY_MASTER_INHIBIT_STATUS, b"\x00")
        await self._startup_events(commit_credit)
        await self._command(Header.MODIFY_BILL_OPERATING_MODE, bytes((MODE_STACKER_AND_ESCROW,)))
        await self._read_table()
        enabled = {t for t, v in self._table.items() if self._wanted is None or v in self._wanted}
        await self._command(Header.MODIFY_INHIBIT_STATUS, inhibit_mask(enabled))
        await self._command(Header.MODIFY_MASTER_INHIBIT_STATUS, bytes((int(self._accepting),)))
        self._inhibit_checked = asyncio.get_running_loop().time()

    async def _read_table(self) -> None:
        bills = {}
        for bill_type in BILL_TYPES:
            bill = parse_bill_id(await self._command(Header.REQUEST_BILL_ID, bytes((bill_type,))))
            if bill is not None:
                bills[bill_type] = bill
        scalings: dict[str, Scaling] = {}
        for country in sorted({b.country for b in bills.values()}):
            reply = await self._command(Header.REQUEST_COUNTRY_SCALING_FACTOR, country.encode())
            scalings[country] = parse_scaling(reply)
        self._table = {t: bill_value_fen(b, scalings[b.country]) for t, b in bills.items()}

    async def _startup_events(self, commit_credit: CreditCommit) -> None:
        """Read the buffer before anything else: settle a credit or an escrow left from before."""
        block = await self._read_events()
        last = self._last_counter
        if last is None:
            # No memory of earlier reads: only the newest event can be a note still in flight.
            fresh, lost = (list(block.events[:1]) if block.counter else []), 0
        elif block.counter == 0:
            fresh, lost = [], 0  # a reset emptied the buffer; nothing to settle
            if last != 0:
                await self._reset_seen(commit_credit)
        else:
            fresh, lost = new_events(last, block)
        if lost:
            self._lost(lost)
        for a, b in fresh:
            if self.supervisor.been_online:  # a reconnect: the machine still follows this note
                await self._on_event(a, b, commit_credit)
            elif a > 0 and b == 0:
                # The journal takes the value from the stack intent it wrote before 154.
                log.warning("%s: credit found at start-up (%s)", self.name, describe_event(a, b))
                await self._commit(commit_credit, None)
        newest = block.events[0] if block.counter else (0, 0)
        if not self.supervisor.been_online and newest[0] > 0 and newest[1] == 1:
            # Maybe still held (read or not by an earlier run): nobody decides on it now.
            log.warning("%s: note may be in escrow at start-up; returning it", self.name)
            await self._command(Header.ROUTE_BILL, bytes((Route.RETURN,)))  # 254 if gone already
        await self._handled(block.counter)

    async def _reset_seen(self, commit_credit: CreditCommit) -> None:
        """The counter went back to 0: events since the last read are gone with the reset."""
        log.warning("%s: event counter back to 0: the device reset", self.name)
        if self._routed:
            # Routed to the stacker and no credit read: the stacker finishes its stroke on a
            # reset, so the note is most likely in the box; the journal knows its value.
            self._emit(ValidatorFault(self.name, "events_lost", None))
            await self._commit(commit_credit, None)
            self._routed = False
        elif self._escrow_value is not None:
            self._emit(NoteReturned(self.name, self._escrow_value))  # escrow goes back on reset
        self._escrow_value = None
        self._last_counter = 0

    async def _commit(self, commit_credit: CreditCommit, value: int | None) -> None:
        """Journal a credit, retried until it sticks: no 159 read meanwhile, so the device keeps the
        event (invariant 2), and simple polls keep it from disabling itself (after 5 s unpolled)."""
        await self._commit_until_stored(commit_credit, value, keep_alive=self._keep_alive)

    async def _keep_alive(self) -> None:
        await self._command(Header.SIMPLE_POLL)

    async def _handled(self, counter: int) -> None:
        if counter != self._last_counter and self.state_path:
            # its thread writes on when this task is cancelled: the stop waits for it (run)
            self._saving = asyncio.ensure_future(asyncio.to_thread(_save_counter, self.state_path, counter))
            await asyncio.shield(self._saving)
        self._last_counter = counter

    async def _save_landed(self) -> None:
        saving = self._saving
        if saving is None:
            return
        try:
            async with asyncio.timeout(SAVE_WAIT):
                await asyncio.shield(saving)
        except TimeoutError:
            log.error("%s: the event counter's save did not end in %s s: it may land after a newer one",
                      self.name, SAVE_WAIT)
        except Exception as err:  # told in the poll that waited for it, if any
            log.debug("%s: the event counter's save failed: %s", self.name, err)

    async def poll_once(self, commit_credit: CreditCommit) -> bool:
        """Read the 159 event buffer and act on its new events; fast while enabled or a note moves."""
        loop = asyncio.get_running_loop()
        # by the clock, not a count of polls: the poll rate changes with the pace
        if loop.time() - self._inhibit_checked >= INHIBIT_CHECK_PERIOD:
            self._inhibit_checked = loop.time()
            await self._check_master_inhibit()
        block = await self._read_events()
        last = self._last_counter or 0
        if block.counter == 0 and last != 0:
            await self._reset_seen(commit_credit)
            raise Restarted("event counter reset")
        fresh, lost = new_events(last, block)
        if lost:
            self._lost(lost)
        for a, b in fresh:
            await self._on_event(a, b, commit_credit)
        await self._handled(block.counter)
        # a device enabled for a customer at the cash step (who may insert a note any moment),
        # and a note in escrow or routed to the stacker, are followed closely
        return self._accepting or self._escrow_value is not None or self._routed

    async def _check_master_inhibit(self) -> None:
        """Read 227 back: a reset with no event since, or the 5 s self-disable, shows only here."""
        wanted = self._accepting
        reply = await self._command(Header.REQUEST_MASTER_INHIBIT_STATUS)
        if reply and bool(reply[0] & 1) != wanted and wanted == self._accepting:
            log.warning("%s: master inhibit reads %d, wanted %d: device reset or self-disabled; "
                        "re-initialising", self.name, reply[0] & 1, int(wanted))
            raise Restarted("master inhibit lost")

    def _lost(self, lost: int) -> None:
        log.error("%s: %d bill events lost (counter moved by more than 5)", self.name, lost)
        self._emit(ValidatorFault(self.name, "events_lost", lost))

    async def _on_event(self, a: int, b: int, commit_credit: CreditCommit) -> None:
        log.debug("%s: event %s", self.name, describe_event(a, b))
        if a > 0 and b == 1:
            value = self._table.get(a)
            if value is None or (self._wanted is not None and value not in self._wanted):
                log.warning("%s: bill type %d not in the table; returning it", self.name, a)
                await self._command(Header.ROUTE_BILL, bytes((Route.RETURN,)))
                return
            if not self._accepting:  # inhibited: nobody will decide on it (a killed host's leftover)
                log.warning("%s: note of %d fen in escrow while inhibited; returning it", self.name, value)
                await self._command(Header.ROUTE_BILL, bytes((Route.RETURN,)))
                return
            self._escrow_value = value
            self._emit(NoteEscrowed(self.name, value))
        elif a > 0 and b == 0:
            value = self._table.get(a)
            await self._commit(commit_credit, value)
            self._emit(NoteStacked(self.name, value or 0))
            self._escrow_value, self._routed = None, False
            self.supervisor.wake()  # committed: the next 159 read, which acknowledges it, goes out now
        elif a > 0:
            log.warning("%s: unknown event A=%d B=%d", self.name, a, b)
        else:
            self._on_status(b)

    def _on_status(self, b: int) -> None:
        kind, text = STATUS_EVENTS.get(b, (None, f"unknown status {b}"))
        if kind == EventKind.RETURNED:
            self._emit(NoteReturned(self.name, self._escrow_value))
            self._escrow_value, self._routed = None, False
        elif kind in (EventKind.REJECTED, EventKind.MASTER_INHIBIT):
            self._emit(NoteRejected(self.name, text, b, inhibited=b in INHIBIT_STATUSES))
        elif kind == EventKind.JAM_ACCEPTOR:
            self._emit(NoteJam(self.name, "acceptor"))
        elif kind == EventKind.JAM_STACKER:
            self._emit(NoteJam(self.name, "stacker"))
        elif kind == EventKind.JAM_CLEARED:
            self._emit(JamCleared(self.name))
        elif kind == EventKind.STACKER_FULL:
            self._emit(StackerFull(self.name))
        elif kind == EventKind.STACKER_REMOVED:
            self._box_open = True
            self._emit(StackerOpened(self.name))
        elif kind in (EventKind.STACKER_INSERTED, EventKind.STACKER_OK):
            if kind == EventKind.STACKER_INSERTED or self._box_open:
                self._box_open = False
                self._emit(StackerClosed(self.name))
        else:  # faults, an unknown bill stacked (staff must count it), unknown codes
            log.error("%s: %s (B=%d)", self.name, text, b)
            self._emit(ValidatorFault(self.name, text, b))


def _busy(frame: Frame) -> bool:
    return frame.header == Header.BUSY  # the device asked us to try again


def _load_counter(path: str) -> int | None:
    try:
        with open(path) as fh:
            counter = json.load(fh)["counter"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.error("ccTalk state %s unreadable (%s); treating the counter as unknown", path, err)
        return None
    return counter if isinstance(counter, int) and 0 <= counter <= 255 else None


def _save_counter(path: str, counter: int) -> None:
    write_json(path, {"counter": counter})
