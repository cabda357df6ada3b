"""In-doubt notes: a note whose fate the validator could not tell after a restart.

A stack intent still open at start-up is a note the host asked the validator to stack and never
heard credited. A validator that repeats an unacknowledged credit (or keeps a counter) tells the
driver before it comes online, so an intent left then did not reach the box. One that cannot
(SSP on older firmware: plain POLL, no GET COUNTERS) leaves the note in doubt: it may be in the
box with no payment holding it. Such a note is never dropped: it becomes a row here, on its
payment, with its chain entry (`note_in_doubt`), and stays in doubt until settled once
(`doubt_settled`): `stacked` (a count found an over of its value, or staff say so: its cash is
then a case to credit) or `not_in_box`. The table is checked against the chain (CHECKS).
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from sqlite_utils import Database

from kioskd.ledger import chain
from kioskd.ledger.audit import kind_indexed
from kioskd.ledger.cases import CaseStore
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.lookups import one
from kioskd.ledger.records import AuditProblem, utc_now

T = TypeVar("T")
STATES = ("in_doubt", "stacked", "not_in_box")
_COLUMNS = "id, txn, value, at, recorded, state, settled, settled_by, basis, reason, case_id"


@dataclass(frozen=True)
class DoubtNote:
    """One in-doubt note and, once settled, how."""

    id: int
    txn: str
    value: int
    at: str  # when STACK was asked for it
    recorded: str  # when the start-up found its fate unknown
    state: str  # in_doubt, stacked or not_in_box
    settled: str | None
    settled_by: str | None  # a staff id, or "kioskd" for a count
    basis: str | None  # "count:<custody session>" or "staff"
    reason: str | None
    case_id: str | None  # the case that credits a stacked note

    def view(self) -> dict[str, Any]:
        """As kioskctl and the staff page show it."""
        return asdict(self)


class DoubtStore:
    """The doubt_notes table; synchronous, on the ledger's thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def from_stack_intent(self) -> DoubtNote | None:
        """Turn the open stack intent into an in-doubt note on its payment; None when there is none."""
        with self.db.atomic():
            intent = one(self.db, "SELECT txn, value, at FROM stack_intent WHERE slot = 1")
            if intent is None:
                return None
            self.db.execute("DELETE FROM stack_intent WHERE slot = 1")
            recorded = utc_now()
            cur = self.db.execute("INSERT INTO doubt_notes (txn, value, at, recorded) VALUES (?, ?, ?, ?)",
                                  (intent["txn"], intent["value"], intent["at"], recorded))
            chain.record(self.db, chain.NOTE_IN_DOUBT, {"doubt": cur.lastrowid, "txn": intent["txn"],
                                                        "value": intent["value"], "at": intent["at"],
                                                        "recorded": recorded})
            return self._get(int(cur.lastrowid or 0))

    def settle(self, doubt: int, state: str, *, by: str, basis: str, reason: str | None,
               case_id: str | None = None, person: dict[str, Any] | None = None) -> DoubtNote:
        """Settle an in-doubt note once: stacked or not_in_box; LedgerError otherwise.

        `person` (Person.audit(): by_name, by_role, via) goes into the chain entry beside `by`.
        """
        if state not in STATES[1:]:
            raise LedgerError(f"in-doubt note {doubt}: settle as stacked or not_in_box, not {state!r}")
        with self.db.atomic():
            found = self.note(doubt)
            if found is None:
                raise LedgerError(f"no in-doubt note {doubt}")
            if found.state != "in_doubt":
                raise LedgerError(f"in-doubt note {doubt} was settled already ({found.state}, {found.basis})")
            settled = utc_now()
            self.db.execute("UPDATE doubt_notes SET state = ?, settled = ?, settled_by = ?, basis = ?, reason = ?,"
                            " case_id = ? WHERE id = ?", (state, settled, by, basis, reason, case_id, doubt))
            chain.record(self.db, chain.DOUBT_SETTLED, {**(person or {}), "doubt": doubt, "state": state,
                                                        "settled": settled, "by": by, "basis": basis,
                                                        "reason": reason, "case": case_id})
            return self._get(doubt)

    def settle_stacked(self, doubt: int, *, by: dict[str, Any], basis: str, reason: str | None,
                       count: tuple[str, str | None] | None, case_id: str) -> DoubtNote:
        """The note is in the box: a claim case (found) that credits it, and the note settled; one transaction.

        `count` is the (custody session, box) of the count that found its over, None when staff said so.
        """
        with self.db.atomic():
            found = self.note(doubt)
            if found is None or found.state != "in_doubt":
                return self.settle(doubt, "stacked", by=by["by"], basis=basis, reason=reason)  # says why not
            payment = one(self.db, "SELECT account FROM txns WHERE id = ?", (found.txn,))
            assert payment is not None  # a foreign key
            book = CaseStore(self.db)
            book.open(kind="claim", txn=None, account=payment["account"], amount=found.value, claimed_at=found.at,
                      phone=None, by=by, case_id=case_id)
            book.note(case_id, f"in-doubt note {doubt} of payment {found.txn}: in the box, as "
                               + (f"the count of session {count[0]} found" if count else "staff settled it"), by)
            session, box = count if count else (f"doubt:{doubt}", None)
            book.link_count(case_id, session, box, True)
            return self.settle(doubt, "stacked", by=by["by"], basis=basis, reason=reason, case_id=case_id, person=by)

    def note(self, doubt: int) -> DoubtNote | None:
        """One in-doubt note by id."""
        row = one(self.db, f"SELECT {_COLUMNS} FROM doubt_notes WHERE id = ?", (doubt,))
        return None if row is None else DoubtNote(**row)

    def notes(self, *, txn: str | None = None, states: tuple[str, ...] = STATES) -> list[DoubtNote]:
        """In-doubt notes (of a payment, in some states), oldest first."""
        marks = ", ".join("?" * len(states))
        where, params = f"state IN ({marks})", list(states)
        if txn is not None:
            where, params = where + " AND txn = ?", [*params, txn]
        return [DoubtNote(**r) for r in self.db.query(f"SELECT {_COLUMNS} FROM doubt_notes WHERE {where}"
                                                      " ORDER BY id", params)]

    def after(self, entry: int, limit: int) -> list[dict[str, Any]]:
        """Batch records (backend-api.md, kind `doubt`) of the notes recorded or settled after audit seq `entry`."""
        out = []
        for seq, kind, data in self.db.execute(
                "SELECT seq, kind, data FROM audit WHERE seq > ? AND kind IN (?, ?)" + kind_indexed() + " ORDER BY seq LIMIT ?",
                (entry, chain.NOTE_IN_DOUBT, chain.DOUBT_SETTLED, limit)).fetchall():
            d = json.loads(data)
            note = self._get(d["doubt"])
            settled = kind == chain.DOUBT_SETTLED
            out.append({"kind": "doubt", "id": note.id, "entry": seq, "txn": note.txn, "value": note.value,
                        "at": note.at, "recorded": note.recorded, "state": d["state"] if settled else "in_doubt",
                        **{k: d[k] if settled else None for k in ("settled", "by", "basis", "reason", "case")}})
        return out

    def _get(self, doubt: int) -> DoubtNote:
        found = self.note(doubt)
        assert found is not None
        return found


class DoubtBook:
    """`ledger.doubts`: the async face of DoubtStore, on the ledger's own thread."""

    def __init__(self, run: Callable[..., Awaitable[Any]], store: DoubtStore) -> None:
        self._run, self._store = run, store

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        result: T = await self._run(functools.partial(fn, *args, **kwargs))
        return result

    async def from_stack_intent(self) -> DoubtNote | None:
        """The open stack intent made an in-doubt note (see DoubtStore.from_stack_intent)."""
        return await self._call(self._store.from_stack_intent)

    async def settle(self, doubt: int, state: str, **how: Any) -> DoubtNote:
        """Settle an in-doubt note once (see DoubtStore.settle)."""
        return await self._call(self._store.settle, doubt, state, **how)

    async def settle_stacked(self, doubt: int, **how: Any) -> DoubtNote:
        """The note is in the box: its claim case opened and the note settled (see DoubtStore.settle_stacked)."""
        return await self._call(self._store.settle_stacked, doubt, **how)

    async def note(self, doubt: int) -> DoubtNote | None:
        """One in-doubt note by id."""
        return await self._call(self._store.note, doubt)

    async def notes(self, **which: Any) -> list[DoubtNote]:
        """In-doubt notes (txn=..., states=...), oldest first."""
        return await self._call(self._store.notes, **which)

    async def batch_records(self, entry: int, limit: int) -> list[dict[str, Any]]:
        """`doubt` batch records after audit seq `entry`."""
        return await self._call(self._store.after, entry, limit)


def check_doubt_notes(conn: sqlite3.Connection) -> AuditProblem | None:
    """Every in-doubt note is what its chain entries say, one to one (integrity.TABLE_CHECKS)."""
    said: dict[int, dict[str, Any]] = {}
    for seq, kind, data in conn.execute("SELECT seq, kind, data FROM audit WHERE kind IN (?, ?)" + kind_indexed() + " ORDER BY seq",
                                        (chain.NOTE_IN_DOUBT, chain.DOUBT_SETTLED)):
        d = json.loads(data)
        if kind == chain.NOTE_IN_DOUBT:
            said[d.get("doubt")] = {"seq": seq, "txn": d.get("txn"), "value": d.get("value"), "at": d.get("at"),
                                    "recorded": d.get("recorded"), "state": "in_doubt", "settled": None,
                                    "settled_by": None, "basis": None, "reason": None, "case_id": None}
        elif d.get("doubt") in said:
            said[d["doubt"]].update(seq=seq, state=d.get("state"), settled=d.get("settled"), settled_by=d.get("by"),
                                    basis=d.get("basis"), reason=d.get("reason"), case_id=d.get("case"))
        else:
            return AuditProblem(seq, f"entry {seq}: settles in-doubt note {d.get('doubt')}, never recorded",
                                "doubt_unrecorded", {"seq": seq, "doubt": d.get("doubt")})
    for row in conn.execute(f"SELECT {_COLUMNS} FROM doubt_notes ORDER BY id"):
        table = dict(zip(_COLUMNS.split(", "), row, strict=True))
        chained = said.pop(table.pop("id"), None)
        if chained is None:
            return AuditProblem(0, f"in-doubt note {row[0]} has no chain entry", "doubt_unchained", {"doubt": row[0]})
        where = chained.pop("seq")
        if chained != table:
            field = next(k for k in sorted(table) if table[k] != chained.get(k))
            return AuditProblem(where, f"entry {where}: in-doubt note {row[0]} differs from the chain ({field})",
                                "doubt_differs", {"seq": where, "doubt": row[0], "field": field})
    if said:
        first = min(said)
        return AuditProblem(said[first]["seq"], f"in-doubt note {first} is in the chain but not in the journal",
                            "doubt_missing", {"seq": said[first]["seq"], "doubt": first})
    return None


CHECKS = (check_doubt_notes,)
