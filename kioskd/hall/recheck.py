"""What a staff clear of a validator alert does: its cause is reported again, an emptied box serves.

Staff clear `stacker_full` (not every protocol can tell a box was emptied) and may clear
`note_jam` or `validator_fault` early. The driver forgets the condition behind the alert, so
its next poll raises the alert again at once if the device still reports it; a cleared
`stacker_full` lifts the out-of-service reason only when those polls did not.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Protocol

from drivers import base as ev
from kioskd.hall.alerts import Alert
from kioskd.system.drain import polls_after_now

if TYPE_CHECKING:
    from drivers.base import BillValidator
    from kioskd.hall.alerts import Alerts
    from kioskd.pump import EventPump

# validator alerts staff may clear while their cause lasts: the event that raises each again
REPORTED_AGAIN: dict[str, type[ev.DeviceEvent]] = {
    "stacker_full": ev.StackerFull, "note_jam": ev.NoteJam, "validator_fault": ev.ValidatorFault,
}
SETTLE_SECONDS = 3.0  # how long the pump may take to hand the polls' events on


class Recheck(Protocol):
    """The parts of the running kiosk a staff clear reaches."""

    @property
    def validator(self) -> BillValidator: ...
    @property
    def alerts(self) -> Alerts: ...
    @property
    def events(self) -> asyncio.Queue[ev.DeviceEvent]: ...
    @property
    def pump(self) -> EventPump: ...


async def staff_cleared(daemon: Recheck, alert: Alert) -> None:
    """After staff cleared `alert`: have its cause reported again; lift a box-full that is gone."""
    event = REPORTED_AGAIN.get(alert.code)
    if event is None or alert.device != "validator":
        return
    if alert.detail.get("cause") == "no_progress":  # the validator never reported it: staff settled the note
        await daemon.pump.solved("jam")
    daemon.validator.report_again(event)
    if alert.code != "stacker_full":
        return
    await polls_after_now(daemon.validator, 2)  # each poll that started after the forget
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(SETTLE_SECONDS):
            await daemon.events.join()
    if not daemon.alerts.is_open("stacker_full", "validator"):
        await daemon.pump.solved("stacker")
