"""A JCM ID-003 validator emulator on a pty: the real wire protocol, a CNY table, fault switches.

In-process: ``emu = Id003Emulator(); await emu.start(); Id003Validator(emu.port)``.
As a process (for crash tests):
``python -m drivers.validator.emulators.id003_emu --link PATH --control SOCK [--state FILE]``
takes JSON lines on the Unix socket SOCK: {"cmd":"insert","value":10000}, {"cmd":"counterfeit"},
{"cmd":"fault","name":"jam_stacking","on":true}, {"cmd":"reopen"}, {"cmd":"stats"}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from drivers.statefile import write_json
from drivers.validator.emulators.pty_device import COMMON_FAULTS, COUNTERFEIT, PtyDevice
from drivers.validator.id003 import (
    ACK_REPLY,
    SETTING_COMMANDS,
    Cmd,
    CurrencyEntry,
    Frame,
    Id003Parser,
    Status,
    build_frame,
    disabled_by_mask,
    encode_currency_table,
)

# CNY notes 1, 5, 10, 20, 50, 100 yuan as integer * 10**exponent (0x9C: JCM's own country byte).
CNY_TABLE = (
    CurrencyEntry(0x61, 0x9C, 1, 0),
    CurrencyEntry(0x62, 0x9C, 5, 0),
    CurrencyEntry(0x63, 0x9C, 1, 1),
    CurrencyEntry(0x64, 0x9C, 2, 1),
    CurrencyEntry(0x65, 0x9C, 5, 1),
    CurrencyEntry(0x66, 0x9C, 1, 2),
)
FAULTS = COMMON_FAULTS | {"failure"}  # failure: FAILURE (0x49) stacker motor, until switched off
VERSION = b"kioskd ID-003 emulator CNY V1.0"
_TRANSIENT = {Status.ACCEPTING, Status.STACKING, Status.REJECTING, Status.RETURNING,
              Status.STACKED, Status.INITIALIZE}
# at rest: the status says only what the fault switches and the inhibit say
_RESTING = (Status.IDLING, Status.DISABLED, Status.STACKER_FULL, Status.STACKER_OPEN, Status.FAILURE)


class Id003Emulator(PtyDevice):
    """An ID-003 validator on a pty pair; `port` is the path the driver opens."""

    device_name = "id003 emulator"
    _notes_fen = frozenset(e.value_fen for e in CNY_TABLE)
    # the driver's NoteRejected (reason, code) for a denomination not enabled and for a counterfeit
    refusals = {"inhibited": ("inhibited", 0x79), "counterfeit": ("photo pattern", 0x77)}

    def __init__(self, delay: float = 0.0, *, link: str | None = None, seed: int = 0) -> None:
        super().__init__(FAULTS, link=link, seed=seed)
        self.delay = delay
        self.stacked: list[int] = []  # the emulator's own count: notes that reached the box
        self.returned: list[int] = []  # notes handed back from escrow / acceptor
        self.rejected: list[int] = []  # notes refused (counterfeit = -1)
        self.log: list[tuple[int, str, int]] = []  # (monotonic_ns, "rx"/"tx", cmd/status)
        self.ack_times: list[int] = []  # monotonic_ns of each ACK of VEND VALID received
        self.escrow_to_stack: list[float] = []  # seconds, first ESCROW sent -> STACK received
        self.vend_to_ack: list[float] = []  # seconds, first VEND VALID sent -> ACK received
        self.on_change: Callable[[], None] | None = None  # after stacked/returned change (the CLI persists state)
        self._power_up()
        self._status: int = Status.POWER_UP

    def _new_parser(self) -> Id003Parser:
        return Id003Parser()

    # -- the customer and the technician -----------------------------------------------------

    @property
    def status(self) -> int:
        """The current status code."""
        return self._status

    @property
    def accepting(self) -> bool:
        """True when the host has enabled acceptance (C3 00)."""
        return not self._inhibited

    # -- device model ------------------------------------------------------------------------

    def _power_up(self) -> None:
        self._inhibited = True
        self._disabled_codes: frozenset[int] = frozenset()
        self._settings: dict[int, bytes] = {c: b"\x00" for c in SETTING_COMMANDS}
        self._settings[Cmd.SET_DENOMINATION] = b"\x00\x00"
        self._settings[Cmd.SET_INHIBIT] = b"\x01"
        self._note: int | None = None  # value of the note in the path
        self._data = b""
        self._entered = time.monotonic()
        self._first_sent: int | None = None

    def _power_on(self) -> None:
        note, status = self._note, self._status
        self._power_up()
        if status in (Status.STACKING, Status.VEND_VALID, Status.STACKER_JAM) and note:
            self._stack_note(note)
            self._status = Status.POWER_UP_BILL_IN_STACKER
        elif status in (Status.ACCEPTING, Status.ESCROW, Status.HOLDING, Status.ACCEPTOR_JAM) and note:
            self._note = note
            self._status = Status.POWER_UP_BILL_IN_ACCEPTOR
        else:
            self._status = Status.POWER_UP

    def _set(self, status: int, data: bytes = b"") -> None:
        self._status, self._data = status, data
        self._entered = time.monotonic()
        self._first_sent = None

    def _stack_note(self, value: int) -> None:
        self.stacked.append(value)
        self._changed()

    def _return_note(self, value: int) -> None:
        self.returned.append(value)
        self._changed()

    def _changed(self) -> None:
        if self.on_change:
            self.on_change()

    def _code_for(self, value: int) -> int:
        return next(e.code for e in CNY_TABLE if e.value_fen == value)

    def _idle_status(self) -> int:
        if self.faults["failure"]:
            return Status.FAILURE
        if self.faults["box_removed"]:
            return Status.STACKER_OPEN
        if self.faults["stacker_full"]:
            return Status.STACKER_FULL
        return Status.DISABLED if self._inhibited else Status.IDLING

    def set_fault(self, name: str, on: bool) -> None:
        """Switch a fault; a resting device shows a lasting condition (full, box out, failure) and
        its end in its very next status reply, as its sensors would."""
        super().set_fault(name, on)
        if self._status in _RESTING and self._idle_status() != self._status:
            idle = self._idle_status()
            self._set(idle, b"\xa2" if idle == Status.FAILURE else b"")

    def _advance(self) -> None:
        """Move one step after a status reply, once the state has been held `delay` seconds."""
        s = self._status
        if s in _TRANSIENT and time.monotonic() - self._entered < self.delay:
            return
        if s == Status.INITIALIZE or s in _RESTING:
            idle = self._idle_status()
            if idle == Status.IDLING and self._queue:
                self._note = self._queue.popleft()
                self._set(Status.ACCEPTING)
            elif idle != s:
                self._set(idle, b"\xa2" if idle == Status.FAILURE else b"")
        elif s == Status.ACCEPTING:
            note = self._held()
            if self.faults["jam_acceptor"]:
                self._set(Status.ACCEPTOR_JAM)
            elif note == COUNTERFEIT:
                self._set(Status.REJECTING, b"\x77")
            elif self._code_for(note) in self._disabled_codes:
                self._set(Status.REJECTING, b"\x79")
            else:
                self._set(Status.ESCROW, bytes((self._code_for(note),)))
        elif s == Status.ACCEPTOR_JAM and not self.faults["jam_acceptor"]:
            self._set(Status.RETURNING)
        elif s == Status.STACKING and self.faults["stall_stacking"]:
            pass  # held: STACKING in every reply, as long as the switch is on
        elif s == Status.STACKING:
            self._set(Status.STACKER_JAM if self.faults["jam_stacking"] else Status.VEND_VALID)
        elif s == Status.STACKER_JAM and not self.faults["jam_stacking"]:
            # freed: the transport moves the note on (STACKING again) before it is vended, so
            # the host sees the jam end a poll before the credit, as on a real unit
            self._set(Status.STACKING)
        elif s == Status.REJECTING:
            self.rejected.append(self._held())
            self._note = None
            self._set(self._idle_status())
        elif s == Status.RETURNING:
            self._return_note(self._held())
            self._note = None
            self._set(self._idle_status())
        elif s == Status.STACKED:
            self._note = None
            self._set(self._idle_status())

    def _handle(self, frame: Frame) -> bytes | None:
        """The reply to one host frame (None: no reply)."""
        cmd, data = frame.cmd, frame.data
        s = self._status
        now = time.monotonic_ns()
        if cmd == Cmd.STATUS_REQUEST:
            reply = build_frame(s, self._data)
            if self._first_sent is None:
                self._first_sent = now
            self._advance()
            return reply
        if cmd == Cmd.ACK:  # the host's ACK gets no reply
            if s == Status.VEND_VALID:
                self.ack_times.append(now)
                self.vend_to_ack.append((now - self._first_sent) / 1e9 if self._first_sent else 0)
                self._stack_note(self._held())
                self._set(Status.STACKED)
            return None
        if cmd in SETTING_COMMANDS:
            if cmd == Cmd.SET_INHIBIT and data in (b"\x00", b"\x01"):
                self._inhibited = data == b"\x01"
            elif cmd == Cmd.SET_DENOMINATION and len(data) == 2:
                self._disabled_codes = disabled_by_mask(data)
            elif cmd not in (Cmd.SET_INHIBIT, Cmd.SET_DENOMINATION) and len(data) >= 1:
                pass
            else:
                return build_frame(Status.INVALID_COMMAND)
            self._settings[cmd] = data
            return build_frame(cmd, data)  # settings are echoed
        if 0x80 <= cmd <= 0x87:
            return build_frame(cmd, self._settings[cmd + 0x40])
        if cmd == Cmd.VERSION_REQUEST:
            return build_frame(cmd, VERSION)
        if cmd == Cmd.CURRENCY_ASSIGN:
            return build_frame(cmd, encode_currency_table(CNY_TABLE))
        if cmd == Cmd.RESET:
            self._reset()
            return build_frame(ACK_REPLY)
        if cmd in (Cmd.STACK_1, Cmd.STACK_2) and s == Status.ESCROW:
            if self._first_sent is not None:
                self.escrow_to_stack.append((now - self._first_sent) / 1e9)
            self._set(Status.STACKING)
            return build_frame(ACK_REPLY)
        if cmd == Cmd.RETURN and s == Status.ESCROW:
            self._set(Status.RETURNING)
            return build_frame(ACK_REPLY)
        if cmd in (Cmd.HOLD, Cmd.WAIT) and s == Status.ESCROW:
            return build_frame(ACK_REPLY)
        return build_frame(Status.INVALID_COMMAND)

    def _reset(self) -> None:
        s, note = self._status, self._note
        # A reset past STACK finishes stacking with no VEND VALID (README, "Notes for kioskd").
        if note is not None and s in (Status.STACKING, Status.VEND_VALID, Status.STACKED,
                                      Status.POWER_UP_BILL_IN_STACKER):
            if s not in (Status.STACKED, Status.POWER_UP_BILL_IN_STACKER):
                self._stack_note(note)
        elif note is not None and note != COUNTERFEIT and s != Status.REJECTING:
            self._return_note(note)
        elif note is not None:
            self.rejected.append(note)
        inhibited = self._inhibited if s not in (Status.POWER_UP, Status.POWER_UP_BILL_IN_ACCEPTOR,
                                                 Status.POWER_UP_BILL_IN_STACKER) else True
        self._power_up()
        self._inhibited = inhibited
        self._set(Status.INITIALIZE)

    # -- pty I/O -----------------------------------------------------------------------------

    def _received(self, chunk: bytes) -> None:
        for frame in self._parser.feed(chunk):
            self.log.append((time.monotonic_ns(), "rx", frame.cmd))
            if self._muted:
                continue
            reply = self._handle(frame)
            if reply is None:
                continue
            reply = self._damage(reply)
            self.log.append((time.monotonic_ns(), "tx", reply[2]))
            self._write(reply)


# -- process mode ----------------------------------------------------------------------------


def _save_state(path: Path, emu: Id003Emulator) -> None:
    write_json(path, {"stacked": emu.stacked, "returned": emu.returned})


async def _serve(args: argparse.Namespace) -> None:
    emu = Id003Emulator(args.delay, link=args.link)
    state = Path(args.state) if args.state else None
    if state and state.exists():
        saved = json.loads(state.read_text())
        emu.stacked[:] = saved.get("stacked", [])
        emu.returned[:] = saved.get("returned", [])
    if state:
        emu.on_change = lambda: _save_state(state, emu)
    await emu.start()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async for line in reader:
            try:
                req = json.loads(line)
                cmd = req["cmd"]
                if cmd == "insert":
                    emu.insert(int(req["value"]))
                elif cmd == "counterfeit":
                    emu.insert_counterfeit()
                elif cmd == "fault":
                    emu.set_fault(req["name"], bool(req["on"]))
                elif cmd == "reopen":
                    await emu.reopen_port()
                elif cmd != "stats":
                    raise ValueError(f"unknown cmd {cmd!r}")
                resp = {"ok": True, "stacked": emu.stacked, "returned": emu.returned,
                        "rejected": emu.rejected, "status": emu.status, "port": emu.port}
            except (ValueError, KeyError, TypeError) as err:
                resp = {"ok": False, "error": str(err)}
            writer.write(json.dumps(resp).encode() + b"\n")
            await writer.drain()
        writer.close()

    with contextlib.suppress(FileNotFoundError):
        os.unlink(args.control)
    server = await asyncio.start_unix_server(client, args.control)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    """Run the emulator as its own process."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--link", required=True, help="symlink to create at the pty slave path")
    ap.add_argument("--control", required=True, help="Unix socket for JSON line commands")
    ap.add_argument("--state", help="file that keeps the stacked notes across restarts")
    ap.add_argument("--delay", type=float, default=0.0, help="seconds each transient state lasts")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
