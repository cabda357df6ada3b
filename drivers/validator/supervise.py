"""The validator supervision loop, one for every protocol: connect, initialise, poll, reconnect.

A protocol's driver gives two steps: `initialise` (after each connect, and again when the device
restarted under us) and `poll_once` (one poll and what follows from its reply, the credit commit
included; it says whether to poll fast next). The loop owns the rest, alike for all four:

- the port's life and the online/offline edges (DeviceOnline once, DeviceOffline once);
- the back-off between connection attempts (doubling, jittered, reset once initialised);
- the heartbeat the daemon's watchdog reads (`last_progress`: each completed poll, each
  connection attempt, and a back-off wait up to its end), so a poll stuck in a hung journal
  commit stops it;
- `settle`, which a stopping daemon awaits after the inhibit: the polls that report a note
  inserted just before it;
- `wake`, which brings the next poll forward when the host just changed the device;
- the guard around the event sink: a broken sink must not stop the polling that guards the money.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypedDict, Unpack

from drivers.base import (
    CreditCommit,
    DeviceEvent,
    DeviceOffline,
    DeviceOnline,
    EventSink,
    NoteCredited,
)
from drivers.errors import DeviceError
from drivers.transport import Backoff
from drivers.validator.conditions import ConditionEdges
from drivers.validator.link import FrameParser, FrameT, SerialLink, pause


class Restarted(DeviceError):
    """The device restarted (or must be set up afresh) while we polled: initialise it again."""


class Port(Protocol):
    """The part of a driver's link the loop drives."""

    async def connect(self) -> None:
        """Open the port and start reading."""
        ...

    async def disconnect(self) -> None:
        """Stop reading and close the port (safe when never connected)."""
        ...


class Steps(Protocol):
    """What a protocol plugs into the loop."""

    poll_interval: float  # seconds between polls of an idle device (read at every poll)

    async def initialise(self, commit_credit: CreditCommit) -> None:
        """Bring the device from whatever state it is in to polling; settle a note in flight."""
        ...

    async def poll_once(self, commit_credit: CreditCommit) -> bool:
        """One poll and its events; True to poll again at once (FAST_POLL), False at the rate.

        Raise Restarted when the device restarted, DeviceError when it cannot be reached.
        """
        ...

    def online_detail(self) -> str:
        """What DeviceOnline says about the device, e.g. "ID-003 at /dev/ttyUSB0"."""
        ...

    def fate_known(self) -> bool:
        """Whether the last initialisation could tell what became of a note in flight."""
        ...


class Supervisor:
    """Keeps one validator connected, initialised and polled until cancelled."""

    def __init__(self, steps: Steps, port: Port, *, name: str, where: str, log: logging.Logger,
                 after_initialise: Callable[[], Awaitable[None]] | None = None) -> None:
        self.steps = steps
        self.port = port
        self.name = name
        self.where = where  # the port's name, for the log
        self.log = log  # the driver's logger: its lines stay under the driver's name
        self.after_initialise = after_initialise  # e.g. re-apply what changed while initialising
        self.online = False
        self.been_online = False  # online at least once in this run (a reconnect, not a start)
        # the watchdog's heartbeat: monotonic time of the last completed poll or connection
        # attempt (a deliberate back-off wait is stamped up to its end)
        self.last_progress = time.monotonic()
        self._sink: EventSink = lambda event: None
        self._wake = asyncio.Event()
        self._begun = 0  # polls started
        self._done = 0  # polls completed
        self._settling: list[tuple[int, bool, asyncio.Future[None]]] = []
        self._moving = False  # the last completed poll asked to poll fast (enabled, or a note on the move)

    def emit(self, event: DeviceEvent) -> None:
        """Hand `event` to the sink; a failing sink is logged and polling goes on."""
        try:
            self._sink(event)
        except Exception:  # a broken sink must not stop the polling that guards the money
            self.log.exception("%s: event sink failed on %r", self.name, event)

    def wake(self) -> None:
        """Poll at once: the host just changed the device (enabled it, decided, acknowledged)."""
        self._wake.set()

    async def settle(self, polls: int = 2, *, still: bool = False) -> None:
        """Return once `polls` polls that start from now have completed (`still`: and the last found no
        note on the move, the device inhibited), or the device is offline."""
        if not self.online:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._settling.append((self._begun + polls, still, waiter))
        await waiter

    async def run(self, sink: EventSink, commit_credit: CreditCommit) -> None:
        """Connect, initialise, poll, reconnect with back-off, until cancelled."""
        self._sink = sink
        backoff = Backoff(initial=min(0.1, self.steps.poll_interval * 2 + 0.01), maximum=5.0)
        offline_reason, offline_cause = "", ""
        while True:
            self.last_progress = time.monotonic()
            try:
                await self.port.connect()
                while True:
                    await self.steps.initialise(commit_credit)
                    backoff.reset()
                    if not self.online:
                        self.online = self.been_online = True
                        self.log.info("%s: online at %s", self.name, self.where)
                        self.emit(DeviceOnline(self.name, detail=self.steps.online_detail(),
                                              fate_known=self.steps.fate_known()))
                    if self.after_initialise is not None:
                        await self.after_initialise()
                    try:
                        await self._poll_forever(commit_credit)
                    except Restarted:
                        continue  # the device restarted under us: initialise it again
            except DeviceError as err:
                offline_reason, offline_cause = str(err), err.cause
            finally:
                await self.port.disconnect()
            if self.online:
                self.online = False
                self._progressed()  # a stop waiting to settle waits no more for this device
                self.log.warning("%s: offline: %s", self.name, offline_reason)
                self.emit(DeviceOffline(self.name, reason=offline_reason, cause=offline_cause))
            delay = backoff.next_delay()
            self.last_progress = time.monotonic() + delay
            await asyncio.sleep(delay)

    async def _poll_forever(self, commit_credit: CreditCommit) -> None:
        steps, wake = self.steps, self._wake
        while True:
            self._begun += 1
            fast = self._moving = await steps.poll_once(commit_credit)
            self._done += 1
            self.last_progress = time.monotonic()
            if self._settling:
                self._progressed()
            # a note on the move, and a device enabled for a customer at the cash step (who may
            # insert a note any moment), are followed closely so software never slows the note
            # path; an inhibited idle device is polled at the configured rate
            await pause(wake, steps.poll_interval, fast=fast)

    def _progressed(self) -> None:
        waiting = []
        for target, still, waiter in self._settling:
            if waiter.done():
                continue
            if (self._done >= target and not (still and self._moving)) or not self.online:
                waiter.set_result(None)
            else:
                waiting.append((target, still, waiter))
        self._settling = waiting


class Settings(TypedDict, total=False):
    """What every validator driver takes besides its port (defaults: Supervised's)."""

    name: str  # the device's name in events and the log ("validator")
    poll_interval: float  # seconds between polls of an idle device (0.2)
    denominations: tuple[int, ...] | None  # the notes (fen) to take; None (default): every one known
    reply_timeout: float  # seconds to wait for the device's reply (the protocol's REPLY_TIMEOUT)
    baudrate: int  # (9600)


class Supervised(ABC, Generic[FrameT]):
    """The part every validator driver shares: settings, its link and Supervisor, the public API.

    A driver calls `__init__` with its port and Settings, gives `_new_link`, the Steps
    (initialise, poll_once, online_detail) and `_apply_accepting`, and keeps its protocol to itself.
    """

    REPLY_TIMEOUT = 0.5  # seconds; a protocol whose devices answer sooner says so

    def __init__(self, port: str, *, log: logging.Logger,
                 after_initialise: Callable[[], Awaitable[None]] | None = None,
                 **settings: Unpack[Settings]) -> None:
        self.name = settings.get("name", "validator")
        self.port = port
        self.poll_interval = settings.get("poll_interval", 0.2)
        self.reply_timeout = settings.get("reply_timeout", self.REPLY_TIMEOUT)
        self.baudrate = settings.get("baudrate", 9600)
        denominations = settings.get("denominations")
        self._wanted = frozenset(denominations) if denominations is not None else None
        self._accepting = False  # what the machine asked for; re-applied after reconnects
        self._link = self._new_link(log)
        self.supervisor = Supervisor(self, self._link, name=self.name, where=port, log=log,
                                     after_initialise=after_initialise)
        self._emit = self.supervisor.emit
        self._edges = ConditionEdges(self.name, self._emit)  # lasting conditions, reported on their edges

    @abstractmethod
    def _new_link(self, log: logging.Logger) -> SerialLink[FrameT]:
        """The protocol's link on `self.port` (opened by the loop)."""

    def report_again(self, event: type[DeviceEvent]) -> None:
        """Forget the lasting condition behind `event`: the next poll emits it again if it lasts."""
        self._edges.forget(event)

    async def _commit_until_stored(self, commit_credit: CreditCommit, value: int | None,
                                   keep_alive: Callable[[], Awaitable[object]] | None = None) -> None:
        """Journal a credit, retrying (backing off to 2 s, `keep_alive` after each wait) until it
        sticks; the device is not acknowledged meanwhile, so it keeps the note's report (invariant 2)."""
        retry = Backoff(initial=0.05, maximum=2.0)
        while True:
            try:
                await commit_credit(NoteCredited(self.name, value))
                return
            except Exception:
                self.supervisor.log.exception("%s: credit commit failed; not acknowledging, retrying", self.name)
            await retry.sleep()
            if keep_alive is not None:
                await keep_alive()

    @property
    def _parser(self) -> FrameParser[FrameT]:
        # the contract tests read every driver's parser counters (dropped bytes, bad frames)
        return self._link.parser

    @property
    def last_progress(self) -> float:
        """The watchdog's heartbeat: monotonic time of the last completed poll."""
        return self.supervisor.last_progress

    async def settle(self, polls: int = 2, *, still: bool = False) -> None:
        """Return once `polls` polls from now have completed (`still`: the last with no note moving), or offline."""
        await self.supervisor.settle(polls, still=still)

    async def run(self, sink: EventSink, commit_credit: CreditCommit) -> None:
        """Connect, initialise, poll, reconnect with back-off, until cancelled."""
        await self.supervisor.run(sink, commit_credit)

    async def set_accepting(self, enabled: bool) -> None:
        """Enable (accept notes) or inhibit the validator; remembered across reconnects."""
        self._accepting = enabled
        if self.supervisor.online:
            await self._apply_accepting(enabled)
            if enabled:
                self.supervisor.wake()  # a customer may insert a note now: poll at once, then fast

    @abstractmethod
    async def initialise(self, commit_credit: CreditCommit) -> None:
        """Bring the device from whatever state it is in to polling (Steps.initialise)."""

    @abstractmethod
    async def poll_once(self, commit_credit: CreditCommit) -> bool:
        """One poll and its events; True to poll fast next (Steps.poll_once)."""

    @abstractmethod
    def online_detail(self) -> str:
        """What DeviceOnline says about the device."""

    def fate_known(self) -> bool:
        """Whether the last initialisation could tell what became of a note in flight.

        True for a device that repeats an unacknowledged credit or numbers its events (the
        registry's fate_after_restart "always"); a driver whose device may not do so overrides it.
        """
        return True

    @abstractmethod
    async def _apply_accepting(self, enabled: bool) -> None:
        """Tell the device (online) to accept notes or not: the protocol's command."""
