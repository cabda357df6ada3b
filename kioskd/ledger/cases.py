"""Cases, their steps and outcomes (schema migration 6), synchronous; ledger thread only.

Every write is one transaction holding the case row, its step (batched to the backend as a
`case` record) and the step's audit entry, so none exists without the others. The customer's
phone number is only in `cases.phone`: steps and audit entries say `contact: true`, so erasing
the column erases it (secure_delete zeroes the freed bytes, the WAL is truncated after).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kioskd.ledger import chain
from kioskd.ledger.audit import kind_indexed
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import utc_now

OPEN = ("open", "waiting")
KIOSKD = {"by": "kioskd"}  # what the kiosk did itself


@dataclass(frozen=True)
class CaseRecord:
    """A case as stored; `phone` is None once erased (or never given)."""

    id: str
    no: int
    kind: str  # payment or claim
    txn: str | None
    account: str | None
    amount: int
    claimed_at: str | None
    phone: str | None
    contact_erased: str | None
    opened: str
    opened_by: str
    status: str
    closed: str | None
    count_session: str | None
    found: bool | None

    @property
    def cash(self) -> str:
        """The cash this case is about: the payment, or the claimed note."""
        return self.txn or f"claim:{self.id}"

    @property
    def is_open(self) -> bool:
        """Not resolved or rejected yet."""
        return self.status in OPEN


@dataclass(frozen=True)
class OutcomeRecord:
    """What became (or is to become) of a case's cash."""

    id: str
    case_id: str
    cash: str
    kind: str  # recredit, void, refund, writeoff
    amount: int
    account: str | None
    holder: str | None
    reason: str
    by: str
    approved_by: str | None
    state: str  # requested, done, refused
    at: str
    answered: str | None
    ref: str | None
    answer: dict[str, Any] | None
    payload: str | None


def _one(db: Database, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
    return next(iter(db.query(sql, params)), None)


def _the(db: Database, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any]:
    """The one row a query that cannot come back empty returns."""
    row: dict[str, Any] = next(iter(db.query(sql, params)))
    return row


class CaseStore:
    """Cases on one sqlite-utils Database; every step a chain entry (chain.record) in its transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writes ---------------------------------------------------------------------
    def open(self, *, kind: str, txn: str | None, account: str | None, amount: int, claimed_at: str | None,
             phone: str | None, by: dict[str, Any], case_id: str) -> CaseRecord:
        """A new case, number next; one open case per payment."""
        with self.db.atomic():
            if txn is not None and (held := self._open_on(txn)) is not None:
                raise LedgerError(f"case {held} is already open on this payment")
            no = _the(self.db, "SELECT COALESCE(MAX(no), 0) + 1 AS no FROM cases")["no"]
            now = utc_now()
            self.db.execute(
                "INSERT INTO cases (id, no, kind, txn, account, amount, claimed_at, phone, opened, opened_by, status)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')",
                (case_id, no, kind, txn, account, amount, claimed_at, phone, now, by["by"]))
            seq = None if txn is None else _the(self.db, "SELECT seq FROM txns WHERE id = ?", (txn,))["seq"]
            data = {"kind": kind, "txn": txn, "seq": seq, "account": account, "amount": amount,
                    "contact": phone is not None}
            if claimed_at is not None:
                data["claimed_at"] = claimed_at
            self._step(case_id, "opened", by, "open", data)
            return self._case(case_id)

    def note(self, case_id: str, text: str, by: dict[str, Any]) -> None:
        """A note added to a case (also after it closed: follow-up)."""
        with self.db.atomic():
            case = self._case(case_id)
            self._step(case_id, "note", by, case.status, {"text": text})

    def request(self, case_id: str, outcome: dict[str, Any], by: dict[str, Any], *, step: dict[str, Any],
                outbox: tuple[str, str, str] | None = None, hold_payment: bool = False) -> OutcomeRecord:
        """Record an outcome: a request (re-credit, void) waits for the backend, the rest are done.

        `outbox` (kind, key, body) queues the request in the same transaction; `hold_payment`
        stops the case's pending payment from being sent again (a re-credit takes its cash over).
        """
        with self.db.atomic():
            case = self._case(case_id)
            if not case.is_open:
                raise LedgerError(f"case {case.no} is {case.status}")
            live = self.live_outcome(case.cash)
            if live is not None:
                raise LedgerError(f"case {case.no}: its cash already has an outcome ({live.kind}, {live.state})")
            done = outcome["state"] == "done"
            now = utc_now()
            self.db.execute(
                "INSERT INTO case_outcomes (id, case_id, cash, kind, amount, account, holder, reason, by, approved_by,"
                " state, at, answered, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (outcome["id"], case_id, case.cash, outcome["kind"], case.amount, outcome.get("account"),
                 outcome.get("holder"), outcome["reason"], by["by"], outcome.get("approved_by"), outcome["state"],
                 now, now if done else None, outcome.get("payload")))
            status = "resolved" if done else "waiting"
            self._set_status(case, status, now)
            self._step(case_id, outcome["kind"], by, status, step)
            if outbox is not None:
                self.db.execute("INSERT INTO outbox (kind, key, body, created, next_try) VALUES (?, ?, ?, ?, ?)",
                                (*outbox, now, now))
            if hold_payment and case.txn is not None:
                self.db.execute("UPDATE outbox SET done = ?, answer = ? WHERE kind = 'payment' AND key = ?"
                                " AND done IS NULL", (now, f"held by case {case.no}: re-credit {outcome['id']}",
                                                      case.txn))
            return self._outcome(outcome["id"])

    def answer(self, outcome_id: str, state: str, *, ref: str | None, answer: dict[str, Any],
               step: dict[str, Any]) -> tuple[CaseRecord, OutcomeRecord]:
        """The backend's definite answer to a request: done (credited, accepted) or refused."""
        if state not in ("done", "refused"):
            raise LedgerError(f"outcome answer must be done or refused, not {state!r}")
        with self.db.atomic():
            outcome = self._outcome(outcome_id)
            if outcome.state != "requested":
                return self._case(outcome.case_id), outcome  # answered before (a repeat): nothing changes
            now = utc_now()
            self.db.execute("UPDATE case_outcomes SET state = ?, answered = ?, ref = ?, answer = ? WHERE id = ?",
                            (state, now, ref, json.dumps(answer, ensure_ascii=False, sort_keys=True), outcome_id))
            case = self._case(outcome.case_id)
            status = "resolved" if state == "done" else "open"
            self._set_status(case, status, now)
            self._step(case.id, outcome.kind, KIOSKD, status, step)
            self.db.execute("UPDATE outbox SET done = ?, answer = ? WHERE kind = 'case' AND key = ? AND done IS NULL",
                            (now, json.dumps(answer, ensure_ascii=False, sort_keys=True), outcome_id))
            if state == "refused" and outcome.kind == "recredit" and case.txn is not None:
                # the re-credit did not take the cash over: a payment still pending is sent again
                self.db.execute("UPDATE outbox SET done = NULL, answer = NULL, next_try = ? WHERE kind = 'payment'"
                                " AND key = ? AND answer LIKE 'held by case %' AND EXISTS (SELECT 1 FROM txns"
                                " WHERE id = ? AND state = 'pending')", (now, case.txn, case.txn))
            return self._case(case.id), self._outcome(outcome_id)

    def close(self, case_id: str, status: str, reason: str, by: dict[str, Any]) -> CaseRecord:
        """Close a case without a money outcome: resolved (no action) or rejected."""
        if status not in ("resolved", "rejected"):
            raise LedgerError(f"a case closes resolved or rejected, not {status!r}")
        with self.db.atomic():
            case = self._case(case_id)
            if not case.is_open:
                raise LedgerError(f"case {case.no} is already {case.status}")
            if case.status == "waiting":
                raise LedgerError(f"case {case.no} waits for the backend's answer")
            self._set_status(case, status, utc_now())
            self._step(case_id, "closed", by, status, {"reason": reason})
            return self._case(case_id)

    def link_count(self, case_id: str, session: str, box_id: str | None, found: bool) -> CaseRecord:
        """A claim checked against the count of the box its note would be in."""
        with self.db.atomic():
            case = self._case(case_id)
            self.db.execute("UPDATE cases SET count_session = ?, found = ? WHERE id = ?", (session, int(found), case_id))
            self._step(case_id, "count_checked", KIOSKD, case.status,
                       {"session": session, "box_id": box_id, "value": case.amount, "found": found})
            return self._case(case_id)

    def erase_contacts(self, closed_before: str) -> list[int]:
        """Erase the phone numbers of cases closed before `closed_before`; their numbers (no)."""
        rows = list(self.db.query("SELECT id, no, status FROM cases WHERE phone IS NOT NULL AND closed IS NOT NULL"
                                  " AND closed < ? ORDER BY no", (closed_before,)))
        if not rows:
            return []
        self.db.execute("PRAGMA secure_delete = ON")  # the freed bytes are zeroed, not left in the page
        try:
            with self.db.atomic():
                for row in rows:
                    self.db.execute("UPDATE cases SET phone = NULL, contact_erased = ? WHERE id = ?",
                                    (utc_now(), row["id"]))
                    self._step(row["id"], "contact_erased", KIOSKD, row["status"], {})
            # the old page images stay in the WAL until a checkpoint copies and truncates it
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            self.db.execute("PRAGMA secure_delete = OFF")
        return [row["no"] for row in rows]

    # -- reads ----------------------------------------------------------------------
    def case(self, ref: int | str) -> CaseRecord | None:
        """A case by number (int) or id (str)."""
        column = "no" if isinstance(ref, int) else "id"
        row = _one(self.db, f"SELECT * FROM cases WHERE {column} = ?", (ref,))
        return None if row is None else _case_record(row)

    def cases(self, statuses: tuple[str, ...] | None = None) -> list[CaseRecord]:
        """Cases (of the given statuses), newest first."""
        where, params = "", ()  # type: tuple[str, tuple[str, ...]]
        if statuses:
            where, params = f" WHERE status IN ({', '.join('?' * len(statuses))})", tuple(statuses)
        return [_case_record(r) for r in self.db.query(f"SELECT * FROM cases{where} ORDER BY no DESC", params)]

    def cases_of(self, txn: str) -> list[CaseRecord]:
        """Every case about a payment, oldest first."""
        return [_case_record(r) for r in self.db.query("SELECT * FROM cases WHERE txn = ? ORDER BY no", (txn,))]

    def steps(self, case_id: str) -> list[dict[str, Any]]:
        """A case's steps in order."""
        return [{**r, "data": json.loads(r["data"])} for r in self.db.query(
            "SELECT id, step, at, by, status, data FROM case_steps WHERE case_id = ? ORDER BY id", (case_id,))]

    def outcomes(self, case_id: str) -> list[OutcomeRecord]:
        """A case's outcomes, refused ones too, oldest first."""
        return [_outcome_record(r) for r in self.db.query(
            "SELECT * FROM case_outcomes WHERE case_id = ? ORDER BY at, rowid", (case_id,))]

    def outcome(self, outcome_id: str) -> OutcomeRecord | None:
        """One outcome by id."""
        row = _one(self.db, "SELECT * FROM case_outcomes WHERE id = ?", (outcome_id,))
        return None if row is None else _outcome_record(row)

    def live_outcome(self, cash: str) -> OutcomeRecord | None:
        """The outcome that stands (or waits) for this cash, if any."""
        row = _one(self.db, "SELECT * FROM case_outcomes WHERE cash = ? AND state != 'refused'", (cash,))
        return None if row is None else _outcome_record(row)

    def held_cash(self) -> set[str]:
        """Payments whose cash a re-credit has taken over (asked for or credited): never resubmitted."""
        return {r["cash"] for r in self.db.query(
            "SELECT cash FROM case_outcomes WHERE kind = 'recredit' AND state != 'refused'")}

    def unowned(self, ended_before: str) -> list[dict[str, Any]]:
        """Pending or flagged payments that ended before `ended_before` and no case is about."""
        return list(self.db.query(
            "SELECT t.id AS txn, t.seq, t.account, t.amount, t.state, t.ended FROM txns t"
            " WHERE t.state IN ('pending', 'flagged') AND t.ended < ?"
            " AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.txn = t.id) ORDER BY t.seq", (ended_before,)))

    def steps_after(self, step_id: int, limit: int) -> list[dict[str, Any]]:
        """Batch records (kind `case`) of the steps after `step_id`, in order."""
        return [
            {"kind": "case", "id": r["id"], "case": r["case_id"], "no": r["no"], "step": r["step"], "at": r["at"],
             "by": r["by"], "status": r["status"], "data": json.loads(r["data"])}
            for r in self.db.query(
                "SELECT s.*, c.no FROM case_steps s JOIN cases c ON c.id = s.case_id WHERE s.id > ?"
                " ORDER BY s.id LIMIT ?", (step_id, limit))
        ]

    def audit_of(self, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
        """Audit entries of these kinds, oldest first: {seq, at, kind, data}."""
        return [{**r, "data": json.loads(r["data"])} for r in self.db.query(
            f"SELECT seq, at, kind, data FROM audit WHERE kind IN ({', '.join('?' * len(kinds))}){kind_indexed(kinds)}"
            " ORDER BY seq",
            kinds)]

    def audit_between(self, since: str, until: str, words: tuple[str, ...]) -> list[dict[str, Any]]:
        """Audit entries in [since, until), and any entry whose data mentions one of `words`."""
        mention = " OR ".join("instr(data, ?) > 0" for _ in words) or "0"
        return [{**r, "data": json.loads(r["data"])} for r in self.db.query(
            f"SELECT seq, at, kind, data FROM audit WHERE (at >= ? AND at < ?) OR {mention} ORDER BY seq",
            (since, until, *words))]

    def claims_for_count(self, session: str) -> list[dict[str, Any]]:
        """Claims checked against a custody count: which over notes cases explain (registers link here)."""
        return list(self.db.query("SELECT id AS case_id, no, amount AS value, found, status FROM cases"
                                  " WHERE count_session = ? ORDER BY claimed_at, no", (session,)))

    # -- helpers --------------------------------------------------------------------
    def _open_on(self, txn: str) -> int | None:
        row = _one(self.db, "SELECT no FROM cases WHERE txn = ? AND closed IS NULL", (txn,))
        return None if row is None else row["no"]

    def _case(self, case_id: str) -> CaseRecord:
        found = self.case(case_id)
        if found is None:
            raise LedgerError(f"unknown case {case_id}")
        return found

    def _outcome(self, outcome_id: str) -> OutcomeRecord:
        found = self.outcome(outcome_id)
        if found is None:
            raise LedgerError(f"unknown case outcome {outcome_id}")
        return found

    def _set_status(self, case: CaseRecord, status: str, now: str) -> None:
        if status != case.status:
            closed = now if status in ("resolved", "rejected") else None
            self.db.execute("UPDATE cases SET status = ?, closed = ? WHERE id = ?", (status, closed, case.id))

    def _step(self, case_id: str, step: str, by: dict[str, Any], status: str, data: dict[str, Any]) -> None:
        no = _the(self.db, "SELECT no FROM cases WHERE id = ?", (case_id,))["no"]
        cursor = self.db.execute(
            "INSERT INTO case_steps (case_id, step, at, by, status, data) VALUES (?, ?, ?, ?, ?, ?)",
            (case_id, step, utc_now(), by["by"], status, json.dumps(data, ensure_ascii=False, sort_keys=True)))
        # a money fact, in the row's transaction; the chain names the person in full (name, role, how)
        chain.record(self.db, f"case_{step}", {"case": case_id, "no": no, "step_id": cursor.lastrowid,
                                               "status": status, **data, **by})


def _case_record(row: dict[str, Any]) -> CaseRecord:
    return CaseRecord(**{**row, "found": None if row["found"] is None else bool(row["found"])})


def _outcome_record(row: dict[str, Any]) -> OutcomeRecord:
    return OutcomeRecord(**{**row, "answer": None if row["answer"] is None else json.loads(row["answer"])})
