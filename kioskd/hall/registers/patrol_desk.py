"""A patrol check-in (巡检签到) on the kiosk's own keypad and display.

At the idle screen `finish` (a key the customer flow does not use there) asks for the duty
staff's ID and PIN, then three checks, each 1 (fine) or 0 (a problem): the screen works, paper is
in, no signs of tampering. The patrol is recorded (kioskd.hall.registers.patrol) and shown; the
kiosk goes back to customers after the result's guard time, as after a custody session, so keys
typed then never reach account entry. `[custody] login_timeout` without a key ends it so too;
`cancel` ends it at once, back to the idle screen (a customer may press `finish` there by mistake).
A note needs the staff page or kioskctl (a keypad has no letters): it is added to the recorded
patrol afterwards (`patrol_note`), and the result names the patrol's number for that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kioskd.hall.accounts import Person, Refusal, may
from kioskd.hall.registers.patrol import CHECKS

if TYPE_CHECKING:
    from kioskd.custody.session import Custody
    from kioskd.hall.accounts import Accounts
    from kioskd.hall.registers.patrol import Patrols
    from statemachine.model import KioskModel

PATROL_KEY = "finish"
STEPS = ("id", "pin", *CHECKS)


@dataclass
class PatrolVisit:
    """One check-in as it goes, or how it ended."""

    step: str = "id"
    entry: str = ""
    staff: str = ""
    person: Person | None = None
    checks: dict[str, bool] = field(default_factory=dict)
    message: str | None = None
    outcome: str | None = None  # recorded, cancelled, timeout, refused
    acknowledged: bool = False
    patrol: int | None = None  # the recorded patrol's number, to add its note to on the staff page

    def view(self, deadline_ms: int) -> dict[str, Any]:
        """The snapshot's `custody` object for the maintenance screen (mode patrol)."""
        return {"mode": "patrol", "step": "ended" if self.outcome else self.step, "outcome": self.outcome,
                "entry": "*" * len(self.entry) if self.step == "pin" else self.entry, "staff": self.staff,
                "person": None if self.person is None else {"id": self.person.id, "name": self.person.name},
                "checks": dict(self.checks), "message": self.message, "acknowledged": self.acknowledged,
                "patrol": self.patrol,
                "deadline": None if self.outcome else deadline_ms}


class PatrolDesk:
    """The keypad check-in; the daemon's maintenance display shows it while one is going."""

    def __init__(self, patrols: Patrols, accounts: Accounts, model: KioskModel, *, timeout: float,
                 guard: float, result_timeout: float, custody_busy: Callable[[], bool] = lambda: False) -> None:
        self.patrols, self.accounts, self.model = patrols, accounts, model
        # a custody session (door, service key, kioskctl) takes the display over from a check-in:
        # the check-in ends quietly and leaves the machine's maintenance states to the session
        self.custody_busy = custody_busy
        self.timeout, self.guard, self.result_timeout = timeout, guard, result_timeout
        self.visit: PatrolVisit | None = None
        self._timer: asyncio.Task[None] | None = None
        self._deadline = 0.0
        self._lock = asyncio.Lock()

    @property
    def active(self) -> bool:
        """A check-in is on the display."""
        return self.visit is not None

    def view(self) -> dict[str, Any] | None:
        """The display's object, or None."""
        return None if self.visit is None else self.visit.view(int(self._deadline * 1000))

    async def start(self) -> bool:
        """`finish` at the idle screen: ask for the duty staff's ID."""
        async with self._lock:
            if self.visit is not None or self.model.state != "service_idle" or self.custody_busy():
                return False
            self.visit = PatrolVisit()
            await self.model.trigger("custody_start")
            self._arm(self.timeout, self._expired)
            self.model.publish()
            return True

    async def give_way(self) -> None:
        """A custody session starts (door, service key, kioskctl): a check-in on the display ends
        unrecorded, so the technicians' session gets the display and the maintenance states."""
        async with self._lock:
            if self.visit is None:
                return
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self.visit.outcome is None:
                await self.model.trigger("custody_end")
            self.visit = None

    async def press(self, key: str) -> None:
        """One key of the check-in."""
        async with self._lock:
            v = self.visit
            if v is None:
                return
            if v.outcome is not None:  # the result on screen swallows keys, then leaves
                v.acknowledged = True
                self._arm(self.guard, self._dismiss)
            elif key == "cancel":
                # whoever pressed it means to leave (a customer who pressed finish by mistake too):
                # back to the idle screen at once; digits typed next are theirs to type
                await self._end("cancelled")
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
                await self._dismiss()
            elif v.step in ("id", "pin"):
                await self._typed(v, key)
            elif key in ("0", "1"):
                v.checks[v.step] = key == "1"
                v.step = STEPS[STEPS.index(v.step) + 1] if v.step != CHECKS[-1] else v.step
                if len(v.checks) == len(CHECKS) and v.person is not None:
                    # a keypad has no letters: a problem is noted as found, its words come later
                    done = await self.patrols.check_in(v.person, v.checks, "", note_required=False)
                    v.patrol = done["no"]
                    await self._end("recorded")
            self.model.publish()

    async def _typed(self, v: PatrolVisit, key: str) -> None:
        if key.isdigit() and len(key) == 1 and len(v.entry) < 12:
            v.entry += key
        elif key == "backspace":
            v.entry = v.entry[:-1]
        elif key == "confirm" and v.entry:
            entry, v.entry = v.entry, ""
            if v.step == "id":
                v.staff, v.step, v.message = entry, "pin", None
                return
            found = await self.accounts.authenticate(v.staff, entry, via="keypad", action="patrol")
            if isinstance(found, Refusal):
                v.step, v.message = "id", found.reason
                if found.reason in ("locked", "disabled"):
                    await self._end("refused")
                return
            if not may(found, "patrol"):
                v.step, v.message = "id", "not_permitted"
                return
            v.person, v.step, v.message = found, CHECKS[0], None
            self._arm(self.timeout, self._expired)

    async def _end(self, outcome: str) -> None:
        assert self.visit is not None
        self.visit.outcome = outcome
        if not self.custody_busy():
            await self.model.trigger("custody_end")
        self._arm(self.result_timeout, self._dismiss)

    async def _expired(self) -> None:
        await self._end("timeout")

    async def _dismiss(self) -> None:
        self.visit = None
        if not self.custody_busy():
            await self.model.trigger("custody_done")
        self.model.publish()

    def _arm(self, seconds: float, then: Callable[[], Awaitable[None]]) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
        self._deadline = time.time() + seconds
        owner = self.visit

        async def expire() -> None:
            await asyncio.sleep(seconds)
            async with self._lock:
                if self.visit is owner and self._timer is asyncio.current_task():
                    self._timer = None
                    await then()
                    self.model.publish()

        self._timer = asyncio.get_running_loop().create_task(expire(), name="patrol-timer")


class MaintenanceDesk:
    """What the model shows and routes keys to in maintenance: a patrol check-in while one is
    going, else the custody session; `finish` at the idle screen starts a check-in."""

    def __init__(self, custody: Custody, patrol: PatrolDesk | None) -> None:
        self.custody, self.patrol = custody, patrol

    def _patrolling(self) -> bool:
        return self.patrol is not None and self.patrol.active and not self.custody.busy

    def view(self) -> dict[str, Any] | None:
        """The display's `custody` object."""
        return self.patrol.view() if self._patrolling() and self.patrol is not None else self.custody.view()

    async def press(self, key: str) -> None:
        """A key in maintenance."""
        if self._patrolling() and self.patrol is not None:
            await self.patrol.press(key)
        else:
            await self.custody.press(key)

    async def idle_key(self, key: str) -> bool:
        """A key at the idle screen: `finish` starts a patrol check-in; True when taken."""
        return key == PATROL_KEY and self.patrol is not None and await self.patrol.start()
