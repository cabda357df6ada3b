"""The count's steps of a custody session: each line typed, going back, and the reconciliation at
the end, with the handover record printed and its counterfeits and differences recorded."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from backend_api.fields import format_utc
from kioskd.custody.count import COUNTERFEIT, count_lines, entry_of, figure
from kioskd.custody.handover import differences_of, reconciled
from kioskd.custody.steps import Session

if TYPE_CHECKING:
    from kioskd.hall.alerts import Alerts
    from kioskd.ledger import Ledger

log = logging.getLogger("kioskd.custody.session")


class CountSteps:
    """Mixed into kioskd.custody.session.Custody: the count, line by line, and its reconciliation."""

    ledger: Ledger
    alerts: Alerts
    on_handover: Callable[[dict[str, Any], str], Awaitable[None]] | None
    wall: Callable[[], datetime]

    async def _end(self, outcome: str, reason: str | None, **shown: Any) -> None:
        raise NotImplementedError  # Custody's

    async def _enter_count(self, s: Session, entry: str) -> None:
        if not entry:
            return
        line = s.lines[len(s.entered)]
        try:
            value = figure(line, entry, s.denominations())
        except ValueError as refused:
            s.entry, s.message = entry, str(refused)  # the entry stays, to be corrected
            return
        s.entered[line.key] = value
        if line.kind == COUNTERFEIT:  # a value and a serial number line for each counterfeit
            s.lines = count_lines(s.denominations(), int(value))
        if len(s.entered) == len(s.lines):
            s.step = "confirm1"

    def _back(self, s: Session) -> None:
        """Backspace on an empty entry in the count: the line before is typed again."""
        if s.step in ("count", "confirm1") and s.entered:
            line = s.lines[len(s.entered) - 1]
            s.entry = entry_of(line, s.entered.pop(line.key))
            s.step, s.message = "count", None

    async def _reconcile(self, s: Session) -> None:
        assert s.statement is not None and s.tech1 is not None and s.tech2 is not None
        rows, fakes, count, record = reconciled(s, format_utc(self.wall()))
        over = [r["value"] for r in rows if r["verdict"] == "over"]
        short = [r["value"] for r in rows if r["verdict"] == "short"]
        # the count, its handover record, counterfeits and differences: one transaction, all audited
        written = await self.ledger.registers.record_count(s.id, s.statement.box_id, count, record, fakes,
                                                           differences_of(rows, fakes))
        if over or short or fakes:
            self.alerts.raise_alert("custody_mismatch", "critical", session=s.id, box_id=s.statement.box_id,
                                    over=",".join(map(str, over)), short=",".join(map(str, short)),
                                    counterfeit=len(fakes))
        # the record is in the journal and the batch either way; kioskctl prints it again
        paper = await printed("handover record", self.on_handover, record, written["digest"])
        await self._end("mismatch" if over or short or fakes else "match", None, result=rows, counterfeit=len(fakes),
                        counterfeits=fakes, totals=record["totals"], handover=paper, digest=written["digest"],
                        differences=len(written["differences"]))



async def printed(what: str, print_it: Callable[..., Awaitable[None]] | None, *args: Any) -> str | None:
    """Print a custody paper: "printed", "failed" (logged; it stays recorded, to reprint) or None (no printer)."""
    if print_it is None:
        return None
    try:
        await print_it(*args)
    except Exception as err:  # the paper's facts are in the audit chain; printing may be retried
        log.error("%s could not be printed: %s", what, err)
        return "failed"
    return "printed"
