"""The model's side of the dual-custody `maintenance` states: key routing, snapshot, inhibit.

The custody logic itself (technicians, count, audit) lives in kioskd.custody.session; the model
only knows it through the CustodyView protocol, so the machine tests can use a fake.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger("kioskd.machine")

MAINTENANCE = "maintenance"


class CustodyView(Protocol):
    """What the model needs from the custody service."""

    def view(self) -> dict[str, Any] | None:
        """The screen's `custody` object (never the expected counts before the count)."""
        ...

    async def press(self, key: str) -> None:
        """A key typed during a custody session."""
        ...

    async def idle_key(self, key: str) -> bool:
        """A key at the idle screen that starts something of the staff's (a patrol check-in); True when taken."""
        ...


class CustodyModelMixin:
    """Mixed into KioskModel: routes keys to custody in maintenance and adds its snapshot."""

    state: str
    validator: Any
    custody: CustodyView | None = None

    def attach_custody(self, custody: CustodyView) -> None:
        """Give the model the custody service (the daemon does this once at start-up)."""
        self.custody = custody

    def in_maintenance(self, *_: Any) -> bool:
        """A custody session owns the terminal."""
        return self.state.startswith(MAINTENANCE)

    def custody_snapshot(self) -> dict[str, Any]:
        """The `custody` key of the screen snapshot (None outside maintenance)."""
        if self.custody is None or not self.in_maintenance():
            return {"custody": None}
        return {"custody": self.custody.view()}

    async def enter_maintenance(self, *_: Any) -> None:
        """Inhibit the validator for the whole session (invariant 1; it already is outside cash)."""
        try:
            await self.validator.set_accepting(False)
        except Exception as err:  # the driver re-applies the wanted state on reconnect
            log.error("validator inhibit on maintenance failed: %s", err)

    async def press_maintenance(self, key: str) -> bool:
        """Route a key to the custody session; True when it took the key."""
        if key == "lang" or self.custody is None:
            return False
        if self.state == "service_idle":
            return await self.custody.idle_key(key)
        if not self.in_maintenance():
            return False
        await self.custody.press(key)
        return True
