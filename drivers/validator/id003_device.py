"""JCM ID-003 bill validator driver: asyncio, polled, credit committed before the ACK goes out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from typing import Unpack

from drivers.base import (
    CreditCommit,
    NoteCredited,
    NoteEscrowed,
    NoteRejected,
    NoteReturned,
    NoteStacked,
    PowerUpWithBill,
)
from drivers.errors import DeviceUnavailable, ProtocolError
from drivers.validator.conditions import StatusTable
from drivers.validator.id003 import (
    ACK_REPLY,
    FAILURE_CODES,
    INHIBIT_REJECTS,
    REJECT_REASONS,
    Cmd,
    CurrencyEntry,
    Frame,
    Id003Parser,
    Status,
    build_frame,
    denomination_mask,
    describe,
    parse_currency_table,
)
from drivers.validator.link import RETRIES, SerialLink
from drivers.validator.supervise import Restarted, Settings, Supervised

log = logging.getLogger(__name__)

_IN_STACKER = (Status.VEND_VALID, Status.STACKED, Status.POWER_UP_BILL_IN_STACKER)
# Statuses on the way into the box; start-up waits them out before deciding (and before RESET).
_SETTLING = (Status.STACKING,)
_SETTLE_POLLS = 50
# Statuses of a note between slot and box (or back): polled every FAST_POLL seconds (link.pause).
_MOVING = frozenset({Status.ACCEPTING, Status.ESCROW, Status.STACKING, Status.VEND_VALID,
                     Status.STACKED, Status.REJECTING, Status.RETURNING, Status.HOLDING})
_STATUSES = frozenset(s.value for s in Status)  # built once: the poll loop runs all day
_JAMS: dict[int, str] = {Status.ACCEPTOR_JAM: "acceptor", Status.STACKER_JAM: "stacker"}
_FAULTS: dict[int, str] = {Status.PAUSE: "pause", Status.CHEATED: "cheated", Status.FAILURE: "failure",
           Status.COMMUNICATION_ERROR: "communication error"}
_CONDITIONS = StatusTable(jams=_JAMS, full=Status.STACKER_FULL, open=Status.STACKER_OPEN, faults=_FAULTS,
                          failure=Status.FAILURE, failure_codes=FAILURE_CODES)


class Id003Validator(Supervised[Frame]):
    """A JCM ID-003 validator on a serial port (9600 8E1; a pty is opened 8N1)."""

    def __init__(self, port: str, **settings: Unpack[Settings]) -> None:
        super().__init__(port, log=log, **settings)
        self._table: tuple[CurrencyEntry, ...] = ()
        self._last = -1  # last status code seen
        self._escrow_value: int | None = None
        self._credited = False  # the current VEND VALID was committed (re-ACK, never re-credit)
        self._stacked_unseen = False  # ACKed VEND VALID, no STACKED seen yet

    def _new_link(self, log: logging.Logger) -> SerialLink[Frame]:
        return SerialLink[Frame](self.port, name=self.name, log=log, parser=Id003Parser, baudrate=self.baudrate,
                                 parity="E", describe=describe)

    # -- public API ----------------------------------------------------------------------------

    def denominations(self) -> tuple[int, ...]:
        """Note values (fen) from the device's table, restricted to the configured ones."""
        return tuple(sorted(v for v in (e.value_fen for e in self._table)
                            if self._wanted is None or v in self._wanted))

    async def _apply_accepting(self, enabled: bool) -> None:
        """SET INHIBIT (C3), echo checked."""
        await self._send_setting(Cmd.SET_INHIBIT, b"\x00" if enabled else b"\x01")

    async def stack(self) -> None:
        """Send STACK-1 for the note in escrow; raises DeviceError if the device refuses."""
        await self._operation(Cmd.STACK_1)
        self.supervisor.wake()  # the note is on its way in: follow it now

    async def return_note(self) -> None:
        """Send RETURN for the note in escrow; raises DeviceError if the device refuses."""
        await self._operation(Cmd.RETURN)
        self.supervisor.wake()  # the note is on its way back: follow it now

    # -- wire ----------------------------------------------------------------------------------

    async def _exchange(self, cmd: int, data: bytes = b"", *,
                        expect: Collection[int] | None = None) -> Frame:
        """Send one frame and wait for a matching reply, retrying; raises DeviceUnavailable."""
        async with self._link.lock:
            raw = build_frame(cmd, data)
            accept = None if expect is None else (lambda frame: frame.cmd in expect)
            return await self._link.request(raw, cmd, within=self.reply_timeout, retries=RETRIES,
                                            accept=accept)

    async def _ack(self) -> None:
        """ACK a VEND VALID: a frame the device does not answer."""
        async with self._link.lock:
            await self._link.send(build_frame(Cmd.ACK))

    async def _send_setting(self, cmd: int, data: bytes) -> None:
        frame = await self._exchange(cmd, data, expect={cmd, Status.INVALID_COMMAND})
        if frame.cmd != cmd or frame.data != data:
            raise ProtocolError(f"{self.name}: setting 0x{cmd:02x} {data.hex()} not echoed: "
                                f"{describe(frame)}")

    async def _operation(self, cmd: int) -> None:
        if not self.supervisor.online or not self._link.connected:
            raise DeviceUnavailable(f"{self.name}: offline, cannot send 0x{cmd:02x}")
        frame = await self._exchange(cmd, expect={ACK_REPLY, Status.INVALID_COMMAND})
        if frame.cmd != ACK_REPLY:
            raise ProtocolError(f"{self.name}: 0x{cmd:02x} refused: {describe(frame)}")

    async def _status(self) -> Frame:
        return await self._exchange(Cmd.STATUS_REQUEST, expect=_STATUSES)

    # -- protocol ------------------------------------------------------------------------------

    def online_detail(self) -> str:
        """What DeviceOnline says."""
        return f"ID-003 at {self.port}"

    async def initialise(self, commit_credit: CreditCommit) -> None:
        """Settle a note in flight (status before any RESET), reset, read the table, set up."""
        # Status BEFORE any RESET: a reset past STACK can finish stacking silently, so a note
        # in flight is credited from what the device says now (README, "Notes for kioskd").
        first = await self._status()
        # A note caught STACKING is past the point of no return: a RESET now would stack it
        # with no VEND VALID ever reaching us. Poll until the device says where it went.
        waited = 0
        while first.cmd in _SETTLING and waited < _SETTLE_POLLS:
            await asyncio.sleep(self.poll_interval)
            first, waited = await self._status(), waited + 1
        if first.cmd in _IN_STACKER:
            log.warning("%s: note in flight found in the box (%s)", self.name, describe(first))
            await commit_credit(NoteCredited(self.name, value=None))
            if first.cmd == Status.VEND_VALID:
                await self._ack()
            if first.cmd == Status.POWER_UP_BILL_IN_STACKER:
                self._emit(PowerUpWithBill(self.name, "stacker"))
        elif first.cmd == Status.POWER_UP_BILL_IN_ACCEPTOR:
            self._emit(PowerUpWithBill(self.name, "acceptor"))  # RESET hands it back
        elif first.cmd == Status.ESCROW:
            log.warning("%s: note in escrow at start-up; the reset returns it", self.name)
        await self._operation_raw(Cmd.RESET)
        table = await self._exchange(Cmd.CURRENCY_ASSIGN, expect={Cmd.CURRENCY_ASSIGN})
        self._table = parse_currency_table(table.data)
        off = {e.code for e in self._table if self._wanted is not None
               and e.value_fen not in self._wanted}
        await self._send_setting(Cmd.SET_DENOMINATION, denomination_mask(off))
        await self._send_setting(Cmd.SET_INHIBIT, b"\x00" if self._accepting else b"\x01")
        self._last, self._escrow_value, self._credited, self._stacked_unseen = -1, None, False, False

    async def _operation_raw(self, cmd: int) -> None:
        frame = await self._exchange(cmd, expect={ACK_REPLY, Status.INVALID_COMMAND})
        if frame.cmd != ACK_REPLY:
            raise ProtocolError(f"{self.name}: 0x{cmd:02x} refused: {describe(frame)}")

    async def poll_once(self, commit_credit: CreditCommit) -> bool:
        """STATUS REQUEST and its handling; fast next while enabled or a note is moving."""
        frame = await self._status()
        if frame.cmd in (Status.POWER_UP, Status.POWER_UP_BILL_IN_ACCEPTOR,
                         Status.POWER_UP_BILL_IN_STACKER):
            log.warning("%s: device restarted (%s); re-initialising", self.name,
                        describe(frame))
            raise Restarted(f"device restarted ({describe(frame)})")
        await self._on_status(frame, commit_credit)
        return self._accepting or frame.cmd in _MOVING

    async def _on_status(self, frame: Frame, commit_credit: CreditCommit) -> None:
        s, data, last = frame.cmd, frame.data, self._last
        if s != Status.VEND_VALID:
            self._credited = False
        if self._stacked_unseen and s not in (Status.VEND_VALID, Status.STACKED) and s not in _JAMS:
            # STACKED lasts a moment: its reply lost or late (asked again under load) leaves the device
            # idle by the next one. The note was ACKed past its credit: it landed, say so once
            log.warning("%s: STACKED not seen after the ACK (now %s): the note is in the box",
                        self.name, describe(frame))
            self._emit(NoteStacked(self.name, self._escrow_value or 0))
            self._escrow_value, self._stacked_unseen = None, False
        if s == Status.ESCROW and last != Status.ESCROW:
            code = data[0] if data else -1
            entry = next((e for e in self._table if e.code == code), None)
            if entry is None or not self._accepting:
                # not a note we take, or inhibited: nobody will decide on it (a killed host's leftover)
                log.warning("%s: escrow code 0x%02x while %s; returning it", self.name, code,
                            "inhibited" if entry else "not in the table")
                self._last = s
                await self._exchange(Cmd.RETURN, expect={ACK_REPLY, Status.INVALID_COMMAND})
                return
            self._escrow_value = entry.value_fen
            self._emit(NoteEscrowed(self.name, entry.value_fen))
        elif s == Status.VEND_VALID:
            if not self._credited:
                try:
                    await commit_credit(NoteCredited(self.name, self._escrow_value))
                except Exception:
                    # No ACK: the device repeats VEND VALID and the next poll retries the commit.
                    log.exception("%s: credit commit failed; not acknowledging", self.name)
                    self._last = s
                    return
                self._credited = True
            await self._ack()
            self._stacked_unseen = True
            self.supervisor.wake()  # the ACK completes the note: the next poll says STACKED
        elif s == Status.STACKED and last != Status.STACKED:
            self._emit(NoteStacked(self.name, self._escrow_value or 0))
            self._escrow_value, self._stacked_unseen = None, False
        elif s == Status.REJECTING and last != Status.REJECTING:
            why = data[0] if data else None
            reason = REJECT_REASONS.get(why, f"unknown 0x{why:02x}") if why is not None else ""
            self._emit(NoteRejected(self.name, reason, why, inhibited=why in INHIBIT_REJECTS))
        elif s == Status.RETURNING and last != Status.RETURNING:
            self._emit(NoteReturned(self.name, self._escrow_value))
            self._escrow_value = None
        self._edges.update_status(_CONDITIONS, s, data)  # jams, stacker full/open, faults
        self._last = s
