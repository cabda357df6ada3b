"""Device contracts: one Protocol per device kind and the events drivers emit.

Money is in integer minor units (fen). Drivers push events into a sink (a plain
callable that must not block); the composition root turns them into machine triggers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

KEYS: tuple[str, ...] = (
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    "backspace", "cancel", "confirm", "finish", "lang",
    # soft keys (on-screen buttons where they apply; letters / F-keys on physical keypads):
    # the result screen's rating and invoice choice, self-service reprint, large text
    "rate_good", "rate_fair", "rate_poor", "invoice", "reprint", "large_text",
)


JamPlace = Literal["acceptor", "stacker"]  # where in the validator a note is stuck
PaperState = Literal["ok", "low", "out", "unknown"]  # the receipt printer's paper sensor

@dataclass(frozen=True)
class DeviceEvent:
    """Base of every event; `device` is the driver's name (e.g. "validator")."""

    device: str


@dataclass(frozen=True)
class DeviceOnline(DeviceEvent):
    """The device answers (again).

    `fate_known` False: this initialisation could not tell whether a note the host was stacking
    when it last stopped reached the box (a device that neither repeats an unacknowledged credit
    nor keeps a counter the driver could read; drivers/registry.py says which protocols may). A
    stack intent still open is then an in-doubt note, never a note dropped.
    """

    detail: str = ""
    fate_known: bool = True


@dataclass(frozen=True)
class DeviceOffline(DeviceEvent):
    """The device stopped answering or its port vanished.

    `reason`: the driver's English for the log; `cause`: why, as a code staff read in words
    (drivers/errors.py DeviceError.cause, drivers/door.py switch_cause).
    """

    reason: str = ""
    cause: str = ""


@dataclass(frozen=True)
class NoteEscrowed(DeviceEvent):
    """A note is held in escrow; the host must decide stack or return."""

    value: int


@dataclass(frozen=True)
class NoteCredited(DeviceEvent):
    """The device vouches the note is past the point of no return (ID-003 VEND VALID).

    Passed to the credit-commit callback, which journals it durably before the
    driver acknowledges it on the wire (invariant 2). `value` is None when the device
    reports a credit it gave no value for (VEND VALID, STACKED or "power up with bill in
    stacker" seen at start-up, before any RESET): the journal takes the value from the
    stack intent it recorded before STACK was sent. A driver reports such an in-flight
    credit before its first DeviceOnline event, so a stack intent still open after that
    event is a note that did not reach the box (or, when that event says `fate_known=False`, a
    note in doubt).
    """

    value: int | None


@dataclass(frozen=True)
class NoteStacked(DeviceEvent):
    """The note is in the cash box (after its credit was committed)."""

    value: int


@dataclass(frozen=True)
class NoteReturned(DeviceEvent):
    """A note was handed back to the customer (host RETURN or device returning)."""

    value: int | None = None


@dataclass(frozen=True)
class NoteRejected(DeviceEvent):
    """The device refused a note (not valid, inhibited, ...)."""

    reason: str
    code: int | None = None
    # refused because notes or its denomination are not taken now (inhibit), not as unrecognised:
    # the customer is told the kiosk does not take it, not that the note is bad
    inhibited: bool = False


@dataclass(frozen=True)
class NoteJam(DeviceEvent):
    """A note is stuck; `where` is "acceptor" or "stacker"."""

    where: JamPlace = "acceptor"


@dataclass(frozen=True)
class JamCleared(DeviceEvent):
    """A jam reported earlier is gone."""


@dataclass(frozen=True)
class StackerFull(DeviceEvent):
    """The cash box cannot take another note."""


@dataclass(frozen=True)
class StackerOpened(DeviceEvent):
    """The cash box was removed (stacker open)."""


@dataclass(frozen=True)
class StackerClosed(DeviceEvent):
    """The cash box is back in place."""


@dataclass(frozen=True)
class DoorOpened(DeviceEvent):
    """The service door was opened (or its switch wire was cut)."""


@dataclass(frozen=True)
class DoorClosed(DeviceEvent):
    """The service door is closed."""


@dataclass(frozen=True)
class ValidatorFault(DeviceEvent):
    """A failure the device reports (failure code, cheated, pause ...)."""

    kind: str
    code: int | None = None


@dataclass(frozen=True)
class ValidatorFaultCleared(DeviceEvent):
    """Every fault the device reported is gone (it polls normally again)."""


@dataclass(frozen=True)
class PowerUpWithBill(DeviceEvent):
    """At power-up a note was found in the path: in the acceptor (returned) or stacker."""

    where: JamPlace


@dataclass(frozen=True)
class KeyPressed(DeviceEvent):
    """A key from any keypad; `key` is one of KEYS."""

    key: str


@dataclass(frozen=True)
class PrinterStatus(DeviceEvent):
    """DLE EOT result; None means the printer did not say (never assume "OK")."""

    online: bool | None = None
    cover_open: bool | None = None
    paper: PaperState = "unknown"


@dataclass(frozen=True)
class PrintDone(DeviceEvent):
    """A print job went out completely."""

    job: str = ""


@dataclass(frozen=True)
class PrintFailed(DeviceEvent):
    """A print job could not be printed."""

    job: str = ""
    reason: str = ""


EventSink = Callable[[DeviceEvent], None]
CreditCommit = Callable[[NoteCredited], Awaitable[None]]


@runtime_checkable
class BillValidator(Protocol):
    """A bill validator driver. `run` owns the port and keeps it alive until cancelled."""

    name: str

    @property
    def last_progress(self) -> float:
        """The watchdog's heartbeat: time.monotonic() of the last completed poll."""
        ...

    async def settle(self, polls: int = 2, *, still: bool = False) -> None:
        """Return once `polls` polls from now have completed (at once when offline); with `still`,
        not before a poll finds no note on the move.

        A stopping daemon awaits it after the inhibit: those polls report a note inserted just
        before it, and a note still being read reaches its outcome (escrow, or handed back)."""
        ...

    async def run(self, sink: EventSink, commit_credit: CreditCommit) -> None:
        """Connect, initialise, poll and reconnect forever; emit events into `sink`.

        `commit_credit` is awaited on the device's credit point (VEND VALID) and the
        driver acknowledges the note on the wire only after it returns.
        """
        ...

    async def set_accepting(self, enabled: bool) -> None:
        """Enable (accept notes) or inhibit the validator; idempotent."""
        ...

    async def stack(self) -> None:
        """Stack the note now in escrow."""
        ...

    async def return_note(self) -> None:
        """Return the note now in escrow to the customer."""
        ...

    def denominations(self) -> tuple[int, ...]:
        """Note values (fen) the device reported, ascending; empty before start."""
        ...

    def report_again(self, event: type[DeviceEvent]) -> None:
        """Emit `event` (StackerFull, NoteJam, ...) again at the next poll if its condition lasts.

        Staff cleared its alert: a cause still present must raise it again at once.
        """
        ...


@runtime_checkable
class ReceiptPrinter(Protocol):
    """A receipt printer driver."""

    name: str

    @property
    def last_progress(self) -> float:
        """The watchdog's heartbeat: time.monotonic() of the last status poll."""
        ...

    @property
    def progress_window(self) -> float:
        """The longest a healthy loop goes between heartbeats (a job, then a status poll)."""
        ...

    async def run(self, sink: EventSink) -> None:
        """Keep the connection and poll status; emit online/offline and PrinterStatus."""
        ...

    async def print_bytes(self, data: bytes, job: str = "") -> None:
        """Send a rendered job; raise DeviceError when it cannot be printed."""
        ...

    async def status(self) -> PrinterStatus:
        """Query DLE EOT now; fields are None/"unknown" when the printer does not answer."""
        ...


@runtime_checkable
class Keypad(Protocol):
    """A keypad driver; emits KeyPressed events."""

    name: str

    async def run(self, sink: EventSink) -> None:
        """Read keys forever (reconnecting as needed) and emit KeyPressed."""
        ...


@runtime_checkable
class DoorSensor(Protocol):
    """The service-door switch; emits DoorOpened and DoorClosed."""

    name: str

    @property
    def last_progress(self) -> float:
        """The watchdog's heartbeat: time.monotonic() of the last read."""
        ...

    @property
    def state(self) -> str:
        """What staff see: "open", "closed", "unreadable" or "unknown" (not read yet)."""
        ...

    async def run(self, sink: EventSink) -> None:
        """Watch the switch forever; report the door as it is first, then each change."""
        ...


@dataclass
class EventLog:
    """A sink that records events; handy for tests and the demo."""

    events: list[DeviceEvent] = field(default_factory=list)

    def __call__(self, event: DeviceEvent) -> None:
        self.events.append(event)
