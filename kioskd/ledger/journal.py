"""Money journal operations, synchronous; run only on the ledger's own thread.

Every state change is one `db.atomic()` block: a single COMMIT, one WAL fsync.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from sqlite_utils import Database

from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import (
    SETTLED_STATES,
    TXN_STATES,
    NoteRecord,
    TxnRecord,
    normalise_utc,
    utc_now,
)

log = logging.getLogger(__name__)

# What the `event` column of a note says about how its credit came in.
EVENT_CREDITED = "credited"
EVENT_IN_FLIGHT = "credited_in_flight"

_TXN_COLUMNS = (
    "id, seq, account, holder, due, currency, state, amount, started, ended,"
    " balance, ref, reason, payload, reprint_wanted"
)


def _one(db: Database, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
    return next(iter(db.query(sql, params)), None)


def _the(db: Database, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any]:
    """The one row an aggregate query always returns."""
    row: dict[str, Any] = next(iter(db.query(sql, params)))
    return row


class JournalStore:
    """Transactions, notes, stack intent and box counters on one sqlite-utils Database."""

    def __init__(self, db: Database, kiosk_id: str, currency: str) -> None:
        self.db = db
        self.kiosk_id = kiosk_id
        self.currency = currency

    # -- identity -------------------------------------------------------------------
    def bind_kiosk(self) -> None:
        """Record the kiosk id and currency on first use; refuse a journal of another kiosk."""
        with self.db.atomic():
            stored = {row["key"]: row["value"] for row in self.db.query("SELECT * FROM meta")}
            for key, value in (("kiosk_id", self.kiosk_id), ("currency", self.currency)):
                if key not in stored:
                    self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
                elif stored[key] != value:
                    raise LedgerError(
                        f"journal belongs to {key} {stored[key]!r}, configured {value!r}"
                    )

    # -- cash session ---------------------------------------------------------------
    def open_payment(self, account: str, holder: str, due: int, currency: str) -> str:
        """Insert an open, empty transaction and return its id."""
        _require_int("due", due)
        if currency != self.currency:
            raise LedgerError(f"account currency {currency} is not the kiosk's {self.currency}")
        txn = str(uuid.uuid4())
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO txns (id, account, holder, due, currency, state, started)"
                " VALUES (?, ?, ?, ?, ?, 'open', ?)",
                (txn, account, holder, due, currency, utc_now()),
            )
        return txn

    def stack_requested(self, txn: str, value: int) -> None:
        """Record the note about to be stacked (replacing any stale intent)."""
        _require_positive("value", value)
        with self.db.atomic():
            self._require_state(txn, ("open",))
            self.db.execute(
                "INSERT INTO stack_intent (slot, txn, value, at) VALUES (1, ?, ?, ?)"
                " ON CONFLICT (slot) DO UPDATE SET txn = excluded.txn, value = excluded.value,"
                " at = excluded.at",
                (txn, value, utc_now()),
            )

    def commit_note(self, txn: str, value: int) -> None:
        """Add a credited note to an open txn (amount, seq, counters by trigger)."""
        _require_positive("value", value)
        with self.db.atomic():
            self._require_state(txn, ("open",))
            self._insert_note(txn, value, EVENT_CREDITED)

    def commit_in_flight_note(self) -> tuple[str, int] | None:
        """Credit the open stack intent; a txn closed meanwhile gets a follow-up txn."""
        with self.db.atomic():
            intent = _one(self.db, "SELECT txn, value FROM stack_intent WHERE slot = 1")
            if intent is None:
                return None
            txn, value = intent["txn"], intent["value"]
            row = self._require_state(txn, TXN_STATES)
            if row["state"] != "open":
                # Recovery (or a close) already ended that txn and its payload may be
                # out: the note still belongs to the customer, so it becomes its own
                # payment for the same account instead of silently changing the first.
                txn = self._follow_up(row)
            self._insert_note(txn, value, EVENT_IN_FLIGHT)
            if row["state"] != "open":
                self._end(txn, "closed", self._last_note_at(txn))
            return txn, value

    def drop_in_flight_note(self) -> tuple[str, int] | None:
        """Clear the open stack intent: that note never reached the box."""
        with self.db.atomic():
            intent = _one(self.db, "SELECT txn, value FROM stack_intent WHERE slot = 1")
            if intent is None:
                return None
            self.db.execute("DELETE FROM stack_intent WHERE slot = 1")
            return intent["txn"], intent["value"]

    def close_payment(self, txn: str) -> bool:
        """End the cash session: closed when it took cash, else cancelled; idempotent."""
        with self.db.atomic():
            row = self._require_state(txn, TXN_STATES)
            if row["state"] == "open":
                self._end(txn, "closed" if row["amount"] > 0 else "cancelled", utc_now())
                return bool(row["amount"] > 0)
            return bool(row["state"] != "cancelled")

    def recover(self) -> list[str]:
        """End every open txn left by a crash; ids of txns still to submit, oldest first."""
        with self.db.atomic():
            for row in self.db.query("SELECT id, amount FROM txns WHERE state = 'open'"):
                if row["amount"] > 0:
                    # the session ended, at the latest, with its last credited note
                    self._end(row["id"], "closed", self._last_note_at(row["id"]))
                else:
                    self._end(row["id"], "cancelled", utc_now())
        return [
            row["id"]
            for row in self.db.query(
                "SELECT id FROM txns WHERE state IN ('closed', 'pending') ORDER BY seq"
            )
        ]

    # -- settlement -----------------------------------------------------------------
    def payment_payload(self, txn: str) -> dict[str, Any]:
        """The backend-api payment object of a txn that took cash and is closed."""
        row = self._require_state(txn, ("closed", *SETTLED_STATES))
        return {
            "type": "payment",
            "kiosk": self.kiosk_id,
            "txn": row["id"],
            "seq": row["seq"],
            "account": row["account"],
            "amount": row["amount"],
            "currency": row["currency"],
            "notes": [{"value": n.value, "at": n.at} for n in self._notes(txn)],
            "started": row["started"],
            "ended": row["ended"],
        }

    def set_payload(self, txn: str, jws: str) -> None:
        """Store the signed payload once; the same value again is a no-op."""
        with self.db.atomic():
            row = self._require_state(txn, ("closed", *SETTLED_STATES))
            if row["payload"] == jws:
                return
            if row["payload"] is not None:
                raise LedgerError(f"txn {txn}: a different payload is already stored")
            self.db.execute("UPDATE txns SET payload = ? WHERE id = ?", (jws, txn))

    def settle(
        self,
        txn: str,
        status: str,
        balance: int | None,
        ref: str | None,
        reason: str | None,
    ) -> None:
        """Record the backend's answer (or its absence) for a closed txn."""
        if status not in SETTLED_STATES:
            raise LedgerError(f"txn {txn}: settle status {status!r} not in {SETTLED_STATES}")
        if balance is not None:
            _require_int("balance", balance)
        with self.db.atomic():
            row = self._require_state(txn, ("closed", *SETTLED_STATES))
            if row["state"] == "credited":
                if status == "credited":
                    # credited is final: a repeated answer keeps the first balance and ref
                    if (row["balance"], row["ref"]) != (balance, ref):
                        log.warning(
                            "txn %s credited again with balance %s ref %s; kept %s %s",
                            txn, balance, ref, row["balance"], row["ref"],
                        )
                    return
                raise LedgerError(f"txn {txn}: already credited, cannot change to {status}")
            self.db.execute(
                "UPDATE txns SET state = ?, balance = ?, ref = ?, reason = ? WHERE id = ?",
                (status, balance, ref, reason, txn),
            )

    def mark_reprint(self, txn: str, wanted: bool) -> None:
        """Remember whether the receipt of txn still has to be (re)printed."""
        with self.db.atomic():
            self._require_state(txn, TXN_STATES)
            self.db.execute(
                "UPDATE txns SET reprint_wanted = ? WHERE id = ?", (int(bool(wanted)), txn)
            )

    # -- look-ups -------------------------------------------------------------------
    def transaction(self, txn_or_seq: str | int) -> TxnRecord | None:
        """One transaction by id (str) or seq (int)."""
        column = "seq" if isinstance(txn_or_seq, int) else "id"
        row = _one(self.db, f"SELECT {_TXN_COLUMNS} FROM txns WHERE {column} = ?", (txn_or_seq,))
        return None if row is None else self._record(row)

    def pending_money(self) -> int:
        """Sum of the amounts of closed and pending txns."""
        row = self.db.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM txns WHERE state IN ('closed', 'pending')").fetchone()
        return int(row[0])

    def transactions(
        self,
        account: str | None,
        since: str | None,
        until: str | None,
        amount: int | None,
        states: tuple[str, ...] | None,
    ) -> list[TxnRecord]:
        """Transactions matching every given filter, oldest first (since <= started < until)."""
        where: list[str] = []
        params: list[Any] = []
        if account is not None:
            where.append("account = ?")
            params.append(account)
        if since is not None:
            where.append("started >= ?")
            params.append(normalise_utc(since))
        if until is not None:
            where.append("started < ?")
            params.append(normalise_utc(until))
        if amount is not None:
            where.append("amount = ?")
            params.append(amount)
        if states is not None:
            unknown = set(states) - set(TXN_STATES)
            if unknown:
                raise LedgerError(f"unknown transaction states {sorted(unknown)}")
            where.append(f"state IN ({', '.join('?' * len(states))})")
            params.extend(states)
        sql = f"SELECT {_TXN_COLUMNS} FROM txns"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started, rowid"
        return [self._record(row) for row in self.db.query(sql, params)]

    # -- cash-box counters ----------------------------------------------------------
    def counters(self) -> dict[int, int]:
        """Notes per value since the last box change."""
        return {
            row["value"]: row["count"]
            for row in self.db.query("SELECT value, count FROM counters ORDER BY value")
        }

    def reset_counters(self, box_id: str) -> dict[int, int]:
        """Freeze the counters under `box_id`, start from zero; returns the frozen counts."""
        with self.db.atomic():
            frozen = self.counters()
            last = _the(self.db, "SELECT COALESCE(MAX(id), 0) AS last FROM notes")
            self.db.execute(
                "INSERT INTO box_changes (box_id, at, last_note, counts) VALUES (?, ?, ?, ?)",
                (box_id, utc_now(), last["last"], json.dumps(frozen, sort_keys=True)),
            )
            self.db.execute("DELETE FROM counters")
        return frozen

    # -- helpers --------------------------------------------------------------------
    def _require_state(self, txn: str, states: tuple[str, ...]) -> dict[str, Any]:
        row = _one(self.db, f"SELECT {_TXN_COLUMNS} FROM txns WHERE id = ?", (txn,))
        if row is None:
            raise LedgerError(f"unknown transaction {txn}")
        if row["state"] not in states:
            raise LedgerError(f"txn {txn} is {row['state']}, expected one of {states}")
        return row

    def _insert_note(self, txn: str, value: int, event: str) -> None:
        self.db.execute(
            "INSERT INTO notes (txn, value, at, event) VALUES (?, ?, ?, ?)",
            (txn, value, utc_now(), event),
        )
        # the stack intent of this txn is resolved by this credit
        self.db.execute("DELETE FROM stack_intent WHERE txn = ?", (txn,))

    def _end(self, txn: str, state: str, ended: str) -> None:
        self.db.execute("UPDATE txns SET state = ?, ended = ? WHERE id = ?", (state, ended, txn))

    def _follow_up(self, original: dict[str, Any]) -> str:
        txn = str(uuid.uuid4())
        self.db.execute(
            "INSERT INTO txns (id, account, holder, due, currency, state, started, reason)"
            " VALUES (?, ?, ?, ?, ?, 'open', ?, ?)",
            (
                txn,
                original["account"],
                original["holder"],
                original["due"],
                original["currency"],
                utc_now(),
                f"note in flight credited after txn {original['id']} ended",
            ),
        )
        # the intent moves with the note, so the DELETE in _insert_note clears it
        self.db.execute("UPDATE stack_intent SET txn = ? WHERE slot = 1", (txn,))
        return txn

    def _last_note_at(self, txn: str) -> str:
        row = _one(self.db, "SELECT MAX(at) AS at FROM notes WHERE txn = ?", (txn,))
        return row["at"] if row and row["at"] else utc_now()

    def _notes(self, txn: str) -> tuple[NoteRecord, ...]:
        return tuple(
            NoteRecord(value=row["value"], at=row["at"])
            for row in self.db.query("SELECT value, at FROM notes WHERE txn = ? ORDER BY id", (txn,))
        )

    def _record(self, row: dict[str, Any]) -> TxnRecord:
        return TxnRecord(
            id=row["id"],
            seq=row["seq"],
            account=row["account"],
            holder=row["holder"],
            due=row["due"],
            state=row["state"],
            amount=row["amount"],
            notes=self._notes(row["id"]),
            started=row["started"],
            ended=row["ended"],
            balance=row["balance"],
            ref=row["ref"],
            reason=row["reason"],
            payload=row["payload"],
            reprint_wanted=bool(row["reprint_wanted"]),
        )


def _require_int(name: str, value: object) -> None:
    # bool is an int subclass and float must never reach a money column
    if not isinstance(value, int) or isinstance(value, bool):
        raise LedgerError(f"{name} must be an integer amount in minor units, got {value!r}")


def _require_positive(name: str, value: object) -> None:
    _require_int(name, value)
    if value <= 0:  # type: ignore[operator]
        raise LedgerError(f"{name} must be positive, got {value!r}")
