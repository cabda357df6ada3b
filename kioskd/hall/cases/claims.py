"""A claim "my note was not counted" checked against the cash-box count of the box it went into.

A note the validator took but the journal never credited is in the box and in no payment: the
technicians' count shows it as one note "over" of its value. The box a claim's note went into
is the one in the kiosk at the claimed time: the first custody session opened after it whose
box had been put in before it. Its count (the audit entries `custody_open` and `custody_count`)
decides: claims of that box are matched to its over notes of their value, oldest claim first.
The case then names the session (`cases.count_session`): a count difference is explained by
the cases `Ledger.cases.claims_for_count(session)` lists.

In-doubt notes (kioskd/ledger/doubts.py) are matched first, the same way: one the count finds
becomes a claim case of its payment's account, linked to the count as found (staff re-credit
it); one it does not find was not in the box. A count recorded by this kioskd settles the ones
it finds itself, naming each on its over's difference (kioskd/ledger/countdoubts.py); this sweep
settles the rest. A note staff settled as in the box explains an
over of the count of its box too, so no claim is credited for the same note again.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kioskd.ledger.cases import KIOSKD

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
    """Settle in-doubt notes, then link every open claim not yet checked to its box's count; (case no, found)."""
    waiting = [c for c in await ledger.cases.cases(("open",)) if c.kind == "claim" and c.count_session is None]
    doubts = await ledger.doubts.notes(states=("in_doubt",))
    if not waiting and not doubts:
        return []
    known = counts(await ledger.cases.audit_of(COUNT_KINDS))
    await settle_doubts(ledger, known)
    linked = []
    for case in sorted(waiting, key=lambda c: (c.claimed_at or "", c.no)):
        count = count_for(case.claimed_at or "", known)
        if count is None:
            continue
        found = count.over.get(case.amount, 0) > await explained(ledger, count, case.amount, known)
        await ledger.cases.link_count(case.id, count.session, count.box_id, found)
        log.info("case %d: the count of box %s %s the claimed note of %d fen", case.no, count.box_id,
                 "found" if found else "did not find", case.amount)
        linked.append((case.no, found))
    return linked


async def settle_doubts(ledger: Ledger, known: list[Count]) -> list[tuple[int, str]]:
    """Each in-doubt note whose box was counted: stacked (a claim case, found) or not_in_box; (id, state)."""
    settled = []
    for doubt in await ledger.doubts.notes(states=("in_doubt",)):
        count = count_for(doubt.at, known)
        if count is None:
            continue
        basis = f"count:{count.session}"
        found = count.over.get(doubt.value, 0) > await explained(ledger, count, doubt.value, known)
        if found:
            await ledger.doubts.settle_stacked(doubt.id, by=KIOSKD, basis=basis, reason=None,
                                               count=(count.session, count.box_id), case_id=str(uuid.uuid4()))
        else:
            await ledger.doubts.settle(doubt.id, "not_in_box", by=KIOSKD["by"], basis=basis, reason=None)
        state = "stacked" if found else "not_in_box"
        log.warning("in-doubt note %d (%d fen): the count of box %s says %s", doubt.id, doubt.value,
                    count.box_id, state)
        settled.append((doubt.id, state))
    return settled


async def explained(ledger: Ledger, count: Count, value: int, known: list[Count]) -> int:
    """Over notes of `value` in `count` already explained: claims it found, in-doubt notes staff put in that box."""
    found = sum(1 for c in await ledger.cases.claims_for_count(count.session) if c["found"] and c["value"] == value)
    by_staff = sum(1 for d in await ledger.doubts.notes(states=("stacked",))
                   if d.basis == "staff" and d.value == value and count_for(d.at, known) == count)
    return found + by_staff
