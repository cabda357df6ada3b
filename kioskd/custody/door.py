"""The service door: audited, opens a custody session, alerts when open without two technicians."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kioskd.custody.session import Custody
    from kioskd.hall.alerts import Alerts

log = logging.getLogger("kioskd.door")


class DoorWatch:
    """door_open is raised when the door stays open `grace` seconds with no custody session
    both technicians have joined, and cleared when the door closes."""

    def __init__(self, custody: Custody, alerts: Alerts, grace: float) -> None:
        self.custody, self.alerts, self.grace = custody, alerts, grace
        self.is_open = False
        self._timer: asyncio.Task[None] | None = None

    async def opened(self) -> None:
        """The door opened: audit it, ask technicians to log in, start the grace period."""
        self.is_open = True
        await self.custody.record("door_opened", session=self._session_id())
        if not self._covered():
            # the screen asks for the two technicians instead of inviting customers; it
            # cannot start during a payment, which goes on (the customer's money is safe)
            await self.custody.start("door")
            self._arm()

    async def closed(self) -> None:
        """The door closed: audit it (not the first reading at start-up), clear door_open."""
        was_open, self.is_open = self.is_open, False
        self._disarm()
        if was_open:
            await self.custody.record("door_closed", session=self._session_id())
        self.alerts.clear_alert("door_open")  # also one restored from before a restart

    def session_ended(self) -> None:
        """A custody session ended: if the door is still open, the grace period starts again."""
        if self.is_open:
            self._arm()

    def _covered(self) -> bool:
        s = self.custody.session
        return s is not None and s.tech2 is not None

    def _session_id(self) -> str | None:
        s = self.custody.session
        return None if s is None else s.id

    def _arm(self) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().create_task(self._expire(), name="door-grace")

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _expire(self) -> None:
        await asyncio.sleep(self.grace)
        if self.is_open and not self._covered():
            log.warning("door open %.0f s without a custody session", self.grace)
            self.alerts.raise_alert("door_open", "critical", grace=int(self.grace))

    def stop(self) -> None:
        """Cancel the grace timer (daemon stop)."""
        self._disarm()
