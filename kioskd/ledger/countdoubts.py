"""In-doubt notes a count's over explains, found and settled in the count's own transaction.

A note in doubt (kioskd/ledger/doubts.py) went into the box that was in the kiosk when STACK was
asked for it, or into none. The count of that box (its custody session opened after the note,
with the box put in before it) that finds an over of the note's value explains that over with the
note: the over's difference names it (`differences.doubt`, in its `difference_opened` entry) and
the note is settled `stacked` there and then (one `doubt_settled` entry, basis `count:<session>`,
with the claim case that re-credits it), in the transaction that records the count. A note staff
settled as in the box before the count explains an over the same way; it is not settled again.
Notes the count does not explain stay in doubt until the sweep (kioskd/hall/cases/claims.py)
settles them as not in the box.
"""

from __future__ import annotations

import json
import uuid

from sqlite_utils import Database

from kioskd.ledger.audit import kind_indexed
from kioskd.ledger.cases import KIOSKD
from kioskd.ledger.doubts import DoubtStore
from kioskd.ledger.lookups import one


def explaining_doubts(db: Database, session: str, box_id: str, overs: list[int]) -> list[int | None]:
    """For each over note of the count (its value), the in-doubt note that explains it, or None;
    each note found in doubt is settled as stacked by this count (call inside the count's transaction)."""
    opened = one(db, "SELECT at, data FROM audit WHERE kind = 'custody_open'" + kind_indexed() +
                 " AND json_extract(data, '$.session') = ?"
                     " ORDER BY seq DESC LIMIT 1", (session,))
    if opened is None or not overs:
        return [None] * len(overs)
    since = json.loads(opened["data"]).get("since")
    # notes of this box (asked to stack after it was put in, before it was opened), not yet linked
    waiting = list(db.query(
        "SELECT id, value, state FROM doubt_notes WHERE at <= ? AND (? IS NULL OR at >= ?)"
        " AND (state = 'in_doubt' OR (state = 'stacked' AND basis = 'staff'))"
        " AND id NOT IN (SELECT doubt FROM differences WHERE doubt IS NOT NULL) ORDER BY id",
        (opened["at"], since, since)))
    store, found = DoubtStore(db), []
    for value in overs:
        note = next((n for n in waiting if n["value"] == value), None)
        found.append(None if note is None else note["id"])
        if note is None:
            continue
        waiting.remove(note)
        if note["state"] == "in_doubt":
            store.settle_stacked(note["id"], by=KIOSKD, basis=f"count:{session}", reason=None,
                                 count=(session, box_id), case_id=str(uuid.uuid4()))
    return found
