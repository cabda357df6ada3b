"""A serial device emulated on a pty pair: the plumbing every validator wire emulator shares.

A subclass supplies its parser (`_new_parser`), what it does with the bytes the host sent
(`_received`), the notes it knows (`_notes_fen`) and its power-on (`_power_on`). This class opens
the pty, keeps the optional stable symlink pointing at it, reads and writes, and holds the fault
switches and the queue of notes waiting to go in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import tty
from collections import deque
from collections.abc import Iterable
from typing import Any

COUNTERFEIT = -1  # a queued note every device refuses
# stall_stacking: a note sent to the box stays "stacking" (no credit, no jam reported) until it
# is switched off, then lands as usual
COMMON_FAULTS = frozenset(
    {"jam_stacking", "jam_acceptor", "stacker_full", "box_removed", "silence", "garbage",
     "bad_crc", "power_cycle", "stall_stacking"}
)


class PtyDevice:
    """A device on a pty pair; `port` is the path the driver opens."""

    device_name = "pty device"  # names the device in error and log messages
    _notes_fen: frozenset[int] = frozenset()  # the genuine notes `insert` takes
    _note: int | None  # value of the note in the transport (COUNTERFEIT for a fake), set by the subclass
    # how the driver reports a refused note: "inhibited" (denomination not enabled) and
    # "counterfeit", as NoteRejected (reason, code); the contract tests check them
    refusals: dict[str, tuple[str, int]] = {}
    # named settings (passed to the emulator and to the driver) the contract tests run under
    variants: dict[str, dict[str, Any]] = {"": {}}

    def __init__(self, faults: Iterable[str], *, link: str | None = None, seed: int = 0) -> None:
        self.link = link  # a symlink kept pointing at the current pty (survives reopen_port)
        self.faults: dict[str, bool] = dict.fromkeys(faults, False)
        self._queue: deque[int] = deque()
        self._rng = random.Random(seed)
        self._master: int | None = None
        self._slave: int | None = None
        self._slave_path = ""
        self._parser: Any = self._new_parser()
        # The subclass's module logger, so debug lines keep naming the protocol's emulator.
        self._log = logging.getLogger(type(self).__module__)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def port(self) -> str:
        """The path the driver should open (the link if one was asked for)."""
        return self.link or self._slave_path

    async def start(self) -> None:
        """Open the pty and start answering."""
        self._open_pty()

    async def stop(self) -> None:
        """Stop answering and close the pty."""
        self._close_pty()

    async def close_port(self) -> None:
        """Close the pty (the driver sees its port vanish); device state is kept."""
        self._close_pty()

    async def reopen_port(self) -> None:
        """Open a fresh pty (re-pointing the link); the device state is kept."""
        self._close_pty()
        self._open_pty()

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line discipline: bytes pass as they are
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self._slave_path = os.ttyname(slave)
        if self.link:
            # Swap the link in one rename so a driver never finds it missing.
            tmp = f"{self.link}.tmp{os.getpid()}"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            os.symlink(self._slave_path, tmp)
            os.replace(tmp, self.link)
        self._on_open()
        asyncio.get_running_loop().add_reader(master, self._on_readable)

    def _close_pty(self) -> None:
        if self._master is None:
            return
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(self._master)
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None

    def _held(self) -> int:
        """The note in the transport, in a state that has one."""
        assert self._note is not None, f"{self.device_name}: no note in the transport"
        return self._note

    # -- the customer and the technician -----------------------------------------------------

    @property
    def notes_fen(self) -> list[int]:
        """The genuine notes `insert` takes, smallest first."""
        return sorted(self._notes_fen)

    def insert(self, value_fen: int) -> None:
        """Queue a genuine note of `value_fen` (one the device knows); it goes in when enabled."""
        if value_fen not in self._notes_fen:
            raise ValueError(f"{self.device_name}: no CNY note of {value_fen} fen")
        self._queue.append(value_fen)

    def insert_counterfeit(self) -> None:
        """Queue a note the device will refuse."""
        self._queue.append(COUNTERFEIT)

    def set_fault(self, name: str, on: bool) -> None:
        """Switch a fault on or off (see FAULTS); power_cycle on = power off, off = power on."""
        if name not in self.faults:
            raise ValueError(
                f"{self.device_name}: unknown fault {name!r}; known: {sorted(self.faults)}"
            )
        was = self.faults[name]
        self.faults[name] = on
        if was and not on:
            self._fault_cleared(name)

    # -- what a subclass provides ------------------------------------------------------------

    def _new_parser(self) -> Any:
        """A fresh parser for the host's bytes (one per pty, so no half frame carries over)."""
        raise NotImplementedError

    def _on_open(self) -> None:
        """Called on each new pty, before reading starts."""
        self._parser = self._new_parser()

    def _received(self, chunk: bytes) -> None:
        """Handle bytes the host sent (parse, answer through `_write`)."""
        raise NotImplementedError

    def _power_on(self) -> None:
        """Boot the device model (after a power cycle)."""
        raise NotImplementedError

    def _fault_cleared(self, name: str) -> None:
        """A fault switch went from on to off."""
        if name == "power_cycle":
            self._power_on()

    # -- pty I/O -----------------------------------------------------------------------------

    @property
    def _muted(self) -> bool:
        """True while the device must not answer (silenced or powered off)."""
        return self.faults["silence"] or self.faults["power_cycle"]

    def _on_readable(self) -> None:
        if self._master is None:
            return  # closed since the loop saw it readable
        try:
            chunk = os.read(self._master, 4096)
        except OSError:
            return  # EAGAIN, or EIO: nobody has the slave open right now
        self._received(chunk)

    def _damage(self, reply: bytes, *, corrupt: bool = False) -> bytes:
        """`reply` as the bad_crc / garbage switches (or `corrupt`) spoil it on the wire."""
        if corrupt or self.faults["bad_crc"]:
            reply = self._corrupt_crc(reply)
        if self.faults["garbage"]:
            reply = self._noise() + reply
        return reply

    def _corrupt_crc(self, reply: bytes) -> bytes:
        return reply[:-1] + bytes((reply[-1] ^ 0x5A,))

    def _noise(self) -> bytes:
        return bytes(self._rng.randrange(256) for _ in range(self._rng.randrange(1, 8)))

    def _write(self, data: bytes) -> None:
        if self._master is None:
            self._log.debug("%s: reply lost: the port is closed", self.device_name)
            return
        try:
            os.write(self._master, data)
        except OSError as err:
            self._log.debug("%s: reply lost: %s", self.device_name, err)
