"""The state folder refusing writes (disk full, remounted read-only): told, and back by itself.

Whoever meets a refused journal write calls `refused` (or sets the machine's "storage"
problem). The watch then probes the folder every few seconds: while writes fail, the kiosk
stays out of service (after the payment in progress) with an alert; once they work, the
payments left open or unsettled are closed and submitted, and the kiosk is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from drivers.statefile import remove_file, write_file

if TYPE_CHECKING:
    from kioskd.hall.alerts import Alerts
    from kioskd.ledger import Ledger
    from statemachine.model import KioskModel

log = logging.getLogger("kioskd.system.storage")

PROBE_EVERY = 2.0  # seconds between write probes while the journal is out of order
PROBE_FILE = ".write-probe"
IDLE_STATES = ("service_idle", "unavailable")
# a healthy journal's recovery answers in well under a second; one that does not in this long is
# stuck behind a write that does not end (a dying card's fsync), though the folder takes the probe
RECOVER_WITHIN = 30.0


def write_problem(state_dir: Path) -> str | None:
    """Why a small durable write in the state folder fails now, or None when it works."""
    probe = Path(state_dir) / PROBE_FILE
    try:
        write_file(probe, b"ok\n")
        remove_file(probe)
    except OSError as err:
        return err.strerror or str(err)
    return None


class StorageWatch:
    """Notices refused writes, keeps the kiosk out of service meanwhile, brings it back."""

    model: KioskModel  # attached once the machine exists (it is built after the watch)

    def __init__(self, *, state_dir: Path, ledger: Ledger, alerts: Alerts,
                 resubmit: Callable[[str], None], every: float = PROBE_EVERY,
                 recover_within: float = RECOVER_WITHIN) -> None:
        self.state_dir, self.ledger, self.alerts = state_dir, ledger, alerts
        self.resubmit, self.every, self.recover_within = resubmit, every, recover_within
        self.failing = False

    def refused(self, err: Exception) -> None:
        """A journal write failed for want of space or write access."""
        if not self.failing:
            log.error("the journal refused a write: %s", err)
        self.failing = True

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            if self.failing or "storage" in self.model.problems:
                await self.check()

    async def check(self) -> None:
        """Probe; out of service while it fails, recovered and back once it works."""
        problem = await asyncio.to_thread(write_problem, self.state_dir)
        if problem is not None:
            self.failing = True
            self.alerts.raise_alert("validator_fault", "critical", device="journal", cause="journal",
                                    error=problem)
            await self._set_problem("storage")  # the machine leaves service after the payment
            return
        if self.model.state not in IDLE_STATES:
            return  # a payment is on: it ends first, then the journal is tidied
        try:
            async with asyncio.timeout(self.recover_within):  # given up: the ledger thread skips it
                to_submit = await self.ledger.recover()  # close what the refused writes left open
        except TimeoutError:
            await self._journal_stuck()
            return
        except Exception as err:
            log.error("the journal still refuses writes: %s", err)
            return
        log.warning("the state folder takes writes again: back in service (%d payment(s) to submit)",
                    len(to_submit))
        self.failing = False
        self.alerts.clear_alert("validator_fault", device="journal")
        for txn in to_submit:
            self.resubmit(txn)
        await self._set_problem(None)

    async def check_pages(self) -> None:
        """The journal's page check, after READY rather than before (~2.5 s with a year in it)."""
        try:
            await self.ledger.check_pages()
        except Exception as err:
            log.critical("journal check failed: %s: out of service, taking no cash", err)
            self.alerts.raise_alert("validator_fault", "critical", device="journal", cause="corrupt",
                                    error=str(err)[:200])
            if self.model.set_problem("journal", "storage"):  # not cleared by a write probe
                await self.model.trigger("health_changed")

    async def _journal_stuck(self) -> None:
        """The folder takes writes but the journal does not answer: out of service, staff told."""
        error = f"the journal did not answer in {self.recover_within:.0f} s (a write that does not end)"
        log.error("%s: out of service until it does", error)
        self.failing = True
        self.alerts.raise_alert("validator_fault", "critical", device="journal", cause="journal", error=error)
        await self._set_problem("storage")

    async def _set_problem(self, reason: str | None) -> None:
        if self.model.set_problem("storage", reason):
            await self.model.trigger("health_changed")
