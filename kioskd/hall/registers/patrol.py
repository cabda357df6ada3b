"""The patrol log (巡检): duty staff check in at the kiosk with a few checks, and the alert
`patrol_missed` when no patrol came within `[patrol] every` seconds during opening hours."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kioskd.hall.registers.differences import RegisterError
from kioskd.ledger import LedgerError
from kioskd.system.clock import wall_now

if TYPE_CHECKING:
    from collections.abc import Callable

    from kioskd.config import PatrolConfig
    from kioskd.hall.accounts import Person
    from kioskd.hall.alerts import Alerts
    from kioskd.ledger import Ledger

log = logging.getLogger("kioskd.hall.registers")

CHECKS = ("screen_ok", "paper_ok", "seal_ok")  # the screen works, paper is in, no signs of tampering
MAX_NOTE = 500


def patrol_due(now: datetime, last: datetime | None, *, opens: str, closes: str, every: float, tz: str) -> datetime | None:
    """When the missed patrol was due, if one is missed at `now` (opening hours only); else None.

    During opening hours a patrol is due `every` seconds after the last one, or after the day's
    opening when the last one was before it. Outside them nothing is due.
    """
    zone = ZoneInfo(tz)
    here = now.astimezone(zone)
    opened = datetime.combine(here.date(), time.fromisoformat(opens), tzinfo=zone)
    closing = datetime.combine(here.date(), time.fromisoformat(closes), tzinfo=zone)
    if every <= 0 or not opened <= here < closing:
        return None
    start = opened if last is None or last < opened else last
    due = start + timedelta(seconds=every)
    return due if here >= due else None


class Patrols:
    """Check-ins and the missed-patrol watch."""

    def __init__(self, ledger: Ledger, alerts: Alerts, config: PatrolConfig, tz: str,
                 wall: Callable[[], datetime] = wall_now) -> None:
        self.ledger, self.alerts, self.config, self.tz, self.wall = ledger, alerts, config, tz, wall
        self._checked = asyncio.Event()

    async def check_in(self, actor: Person, checks: dict[str, Any], note: str = "", *,
                       note_required: bool = True) -> dict[str, Any]:
        """A patrol by `actor` (keypad, staff page, kioskctl): each check true (fine) or false (a problem);
        a problem needs a note, except at the keypad, which has no letters."""
        if set(checks) != set(CHECKS) or not all(isinstance(v, bool) for v in checks.values()):
            raise RegisterError(f"checks: {', '.join(CHECKS)}, each true or false", "请逐项填写巡检结果")
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise RegisterError(f"note: at most {MAX_NOTE} characters", "备注不超过 500 字")
        if not all(checks.values()) and not note and note_required:
            raise RegisterError("a problem found needs a note saying what", "发现异常时请填写备注")
        done = await self.ledger.registers.patrol(actor.audit(), checks, note)
        self.alerts.clear_alert("patrol_missed")
        self._checked.set()
        log.info("patrol by %s: %s", actor.label, ", ".join(k for k in CHECKS if not checks[k]) or "all fine")
        return done

    async def add_note(self, actor: Person, no: int, note: str) -> dict[str, Any]:
        """A note `actor` adds to patrol `no` afterwards (what a keypad check-in found, in words)."""
        note = note.strip()
        if not note or len(note) > MAX_NOTE:
            raise RegisterError(f"note: 1 to {MAX_NOTE} characters", "请填写备注（500 字以内）")
        try:
            return await self.ledger.registers.patrol_note(no, note, actor.audit())
        except LedgerError:
            raise RegisterError(f"no patrol {no}", f"没有巡检记录 {no}") from None

    async def check_once(self) -> bool:
        """Raise `patrol_missed` when a patrol is overdue now; True when it is."""
        last_text = await self.ledger.registers.last_patrol()
        last = None if last_text is None else datetime.fromisoformat(last_text.replace("Z", "+00:00"))
        c = self.config
        due = patrol_due(self.wall(), last, opens=c.opens, closes=c.closes, every=c.every, tz=self.tz)
        if due is not None:
            self.alerts.raise_alert("patrol_missed", "warning", due=due.astimezone(ZoneInfo("UTC")).isoformat(),
                                    last=last_text)
        return due is not None

    async def watch(self) -> None:
        """Check every `every`/4 seconds (at most a minute) or at once after a check-in, until cancelled."""
        if self.config.every <= 0:
            return
        while True:
            await self.check_once()
            self._checked.clear()
            try:
                async with asyncio.timeout(min(60.0, max(0.5, self.config.every / 4))):
                    await self._checked.wait()
            except TimeoutError:
                pass
