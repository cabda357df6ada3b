"""A claim "my note was not counted" checked against the cash-box count of the box it went into.

A note the validator took but the journal never credited is in the box and in no payment: the
technicians' count shows it as one note "over" of its value. The box a claim's note went into
is the one in the kiosk at the claimed time: the first custody session opened after it whose
box had been put in before it. Its count (the audit entries `custody_open` and `custody_count`)
decides: claims of that box are matched to its over notes of their value, oldest claim first.
The case then names the session (`cases.count_session`): a count difference is explained by
the cases `Ledger.cases.claims_for_count(session)` lists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kioskd.ledger import Ledger

log = logging.getLogger("kioskd.hall.cases")

COUNT_KINDS = ("custody_open", "custody_count")


@dataclass(frozen=True)
class Count:
    """A cash-box count: its session, when the box was opened and since when it was in, its over notes."""

    session: str
    opened: str
    since: str | None
    box_id: str | None
    over: dict[int, int]  # note value (fen) -> notes counted over what the kiosk's counters say


def counts(entries: list[dict[str, Any]]) -> list[Count]:
    """The counts of the audit chain's custody entries, oldest first (a session opened but never counted is none)."""
    opened: dict[str, dict[str, Any]] = {}
    found = []
    for entry in entries:
        data, session = entry["data"], entry["data"].get("session")
        if not isinstance(session, str):
            continue
        if entry["kind"] == "custody_open":
            opened[session] = {"at": entry["at"], "since": data.get("since"), "box_id": data.get("box_id")}
        elif session in opened:
            over: dict[int, int] = {}
            for row in data.get("rows") or []:
                if isinstance(row, dict) and row.get("verdict") == "over":
                    over[int(row["value"])] = over.get(int(row["value"]), 0) + int(row["diff"])
            o = opened[session]
            found.append(Count(session, o["at"], o["since"], o["box_id"], over))
    return sorted(found, key=lambda c: c.opened)


def count_for(claimed_at: str, known: list[Count]) -> Count | None:
    """The count of the box that was in the kiosk at `claimed_at`, if it has been counted."""
    for count in known:
        if count.opened >= claimed_at and (count.since is None or count.since <= claimed_at):
            return count
    return None


async def check_claims(ledger: Ledger) -> list[tuple[int, bool]]:
    """Link every open claim not yet checked to its box's count, if counted; (case no, found) each."""
    waiting = [c for c in await ledger.cases.cases(("open",)) if c.kind == "claim" and c.count_session is None]
    if not waiting:
        return []
    known = counts(await ledger.cases.audit_of(COUNT_KINDS))
    linked = []
    for case in sorted(waiting, key=lambda c: (c.claimed_at or "", c.no)):
        count = count_for(case.claimed_at or "", known)
        if count is None:
            continue
        # over notes of this value that earlier claims of the same count already explain
        taken = sum(1 for c in await ledger.cases.claims_for_count(count.session)
                    if c["found"] and c["value"] == case.amount)
        found = count.over.get(case.amount, 0) > taken
        await ledger.cases.link_count(case.id, count.session, count.box_id, found)
        log.info("case %d: the count of box %s %s the claimed note of %d fen", case.no, count.box_id,
                 "found" if found else "did not find", case.amount)
        linked.append((case.no, found))
    return linked
