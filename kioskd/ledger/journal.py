"""Money journal operations, synchronous; run only on the ledger's own thread.

Every state change is one `db.atomic()` block: a single COMMIT, one WAL fsync. Each money
row it writes goes with its chain entry in that block (chain.record), so the tables and the
signed chain cannot drift apart. The note credit is the hot path (the validator waits for
it before it is told the note is taken): it uses the connection directly.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from typing import Any

from sqlite_utils import Database

from kioskd.ledger import chain
from kioskd.ledger.audit import GENESIS, note_data_json
from kioskd.ledger.errors import LedgerError, NoStackIntent
from kioskd.ledger.lookups import TXN_COLUMNS, notes_of, one
from kioskd.ledger.records import FOLLOW_UP_REASON, SETTLED_STATES, TXN_STATES, utc_now

log = logging.getLogger(__name__)

# What the `event` column of a note says about how its credit came in.
EVENT_CREDITED = "credited"
EVENT_IN_FLIGHT = "credited_in_flight"


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
        # The chain's head as the last intent or credit committed it, with the connection's
        # total_changes then: while that count has not moved, no row was written since (rolled
        # back or not), so the next credit links on it without reading (the journal lock makes
        # this connection the file's only writer). Any other write, or any error, means a read.
        self._head: tuple[int, int, str] | None = None
        # (txn, seq, its last note's time) once committed: a seq never changes, and while the head
        # above is current no note was written since, so the next note's time floor needs no read
        self._seq: tuple[str, int, str] | None = None

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
                        f"journal belongs to {key} {stored[key]!r}, configured {value!r}",
                        "other_kiosk" if key == "kiosk_id" else "other_currency", stored=stored[key], configured=value,
                    )

    # -- cash session ---------------------------------------------------------------
    def open_payment(self, account: str, holder: str, due: int, currency: str) -> str:
        """Insert an open, empty transaction and return its id."""
        _require_int("due", due)
        if currency != self.currency:
            raise LedgerError(f"account currency {currency} is not the kiosk's {self.currency}")
        txn = str(uuid.uuid4())
        with self.db.atomic():
            self._insert_txn(txn, account, holder, due, currency, None)
        return txn

    def stack_requested(self, txn: str, value: int) -> None:
        """Record the note about to be stacked (replacing any stale intent)."""
        _require_positive("value", value)
        self._head = None
        with self.db.atomic():
            self._require_open(txn)
            entry = self._set_intent(txn, value, utc_now())
        self._remember(entry)

    def withdraw_stack_intent(self, txn: str, value: int) -> bool:
        """The note this intent named went back before STACK was sent: clear it (the chain says so)."""
        with self.db.atomic():
            if self.db.execute("DELETE FROM stack_intent WHERE slot = 1 AND txn = ? AND value = ?",
                               (txn, value)).rowcount != 1:
                return False  # never written (the call was given up before it ran), or replaced
            chain.record(self.db, chain.STACK_CLEAR, {"txn": txn, "value": value})
        return True

    def commit_note(self, txn: str, value: int) -> int:
        """Add a credited note to an open txn (amount, seq, counters by trigger) and its entry; the txn's seq."""
        _require_positive("value", value)
        conn, head, self._head = self.db.conn, self._head, None
        known = None
        if head is not None and head[0] == conn.total_changes and self._seq is not None and self._seq[0] == txn:
            known = (self._seq[1], (head[1], head[2]), self._seq[2])
        with self.db.atomic():
            # only the note the stack intent names (this txn, this value) is booked here: the DELETE's
            # rowcount says so without a read (the hot path); any other goes the in-flight way (kioskd.pump)
            if conn.execute("DELETE FROM stack_intent WHERE slot = 1 AND txn = ? AND value = ?",
                            (txn, value)).rowcount != 1:
                intent = conn.execute("SELECT txn, value FROM stack_intent WHERE slot = 1").fetchone()
                raise NoStackIntent(txn, value, tuple(intent) if intent else None)
            try:  # no SELECT first (the hot path): the notes_into_open trigger refuses a txn not open
                entry, seq, at = self._insert_note(txn, value, EVENT_CREDITED, known)
            except sqlite3.IntegrityError:
                self._require_open(txn)  # say why: unknown, or closed
                raise
        self._remember(entry, (txn, seq, at))
        return int(seq)

    def commit_in_flight_note(self, value: int | None = None) -> tuple[str, int] | None:
        """Credit the open stack intent (of `value`, if given); a txn closed meanwhile gets a follow-up txn."""
        with self.db.atomic():
            intent = one(self.db, "SELECT txn, value, at FROM stack_intent WHERE slot = 1")
            if intent is None or value not in (None, intent["value"]):
                return None  # another value is not the note the intent names: it stays for that note
            txn, value = intent["txn"], intent["value"]
            row = self._require_state(txn, TXN_STATES)
            if row["state"] != "open":
                # Recovery (or a close) already ended that txn and its payload may be
                # out: the note still belongs to the customer, so it becomes its own
                # payment for the same account instead of silently changing the first.
                txn = self._follow_up(row)
                self._set_intent(txn, value, intent["at"])  # the intent moves with the note
            # the stack intent is resolved by this credit (the note entry says so), as commit_note's is
            self.db.execute("DELETE FROM stack_intent WHERE slot = 1")
            self._insert_note(txn, value, EVENT_IN_FLIGHT)
            if row["state"] != "open":
                self._end(txn, "closed", self._last_note_at(txn))
            return txn, value

    def drop_in_flight_note(self) -> tuple[str, int] | None:
        """Clear the open stack intent: that note never reached the box."""
        with self.db.atomic():
            intent = one(self.db, "SELECT txn, value FROM stack_intent WHERE slot = 1")
            if intent is None:
                return None
            self.db.execute("DELETE FROM stack_intent WHERE slot = 1")
            chain.record(self.db, chain.STACK_CLEAR, {"txn": intent["txn"], "value": intent["value"]})
            return intent["txn"], intent["value"]

    def close_payment(self, txn: str) -> bool:
        """End the cash session: closed when it took cash, else cancelled; idempotent."""
        with self.db.atomic():
            row = self._require_state(txn, TXN_STATES)
            took_cash = bool(row["amount"] > 0)
            if row["state"] != "open":
                return bool(row["state"] != "cancelled")
            self._end(txn, "closed" if took_cash else "cancelled", utc_now())
        # copy the WAL into the database now, between customers, so that SQLite's automatic
        # checkpoint (and its extra fsyncs) does not fall on a note's credit: one fsync per note.
        # The close is committed already: a checkpoint that fails (disk full) waits for the next.
        try:
            self.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as err:
            log.warning("journal checkpoint after the payment failed (kept in the WAL): %s", err)
        return took_cash

    def recover(self) -> list[str]:
        """End every open txn left by a crash; ids of txns still to submit, oldest first."""
        with self.db.atomic():
            for row in list(self.db.query("SELECT id, amount FROM txns WHERE state = 'open'")):
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
            "notes": [{"value": n.value, "at": n.at} for n in notes_of(self.db, txn)],
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
            self._record_state(txn)

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
            if (row["state"], row["balance"], row["ref"], row["reason"]) == (status, balance, ref, reason):
                return  # nothing changes (a pending payment retried): no entry either
            self.db.execute(
                "UPDATE txns SET state = ?, balance = ?, ref = ?, reason = ? WHERE id = ?",
                (status, balance, ref, reason, txn),
            )
            self._record_state(txn)

    def mark_reprint(self, txn: str, wanted: bool) -> None:
        """Remember whether the receipt of txn still has to be (re)printed (not a money fact)."""
        with self.db.atomic():
            self._require_state(txn, TXN_STATES)
            self.db.execute(
                "UPDATE txns SET reprint_wanted = ? WHERE id = ?", (int(bool(wanted)), txn)
            )

    def pending_money(self) -> int:
        """Sum of the amounts of closed and pending txns."""
        row = self.db.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM txns WHERE state IN ('closed', 'pending')").fetchone()
        return int(row[0])

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
            last = one(self.db, "SELECT COALESCE(MAX(id), 0) AS last FROM notes")["last"]  # type: ignore[index]
            at, counts = utc_now(), json.dumps(frozen, sort_keys=True)
            cur = self.db.execute(
                "INSERT INTO box_changes (box_id, at, last_note, counts) VALUES (?, ?, ?, ?)",
                (box_id, at, last, counts),
            )
            self.db.execute("DELETE FROM counters")
            chain.record(self.db, chain.COUNTERS_RESET,
                         {"change": cur.lastrowid, "box": box_id, "at": at, "last_note": last, "counts": counts})
        return frozen

    # -- helpers --------------------------------------------------------------------
    def _require_state(self, txn: str, states: tuple[str, ...]) -> dict[str, Any]:
        row = one(self.db, f"SELECT {TXN_COLUMNS} FROM txns WHERE id = ?", (txn,))
        if row is None:
            raise LedgerError(f"unknown transaction {txn}")
        if row["state"] not in states:
            raise LedgerError(f"txn {txn} is {row['state']}, expected one of {states}")
        return row

    def _require_open(self, txn: str) -> None:
        found = self.db.conn.execute("SELECT state FROM txns WHERE id = ?", (txn,)).fetchone()
        if found is None:
            raise LedgerError(f"unknown transaction {txn}")
        if found[0] != "open":
            raise LedgerError(f"txn {txn} is {found[0]}, expected one of ('open',)")

    def _insert_txn(self, txn: str, account: str, holder: str, due: int, currency: str,
                    reason: str | None) -> None:
        started = utc_now()
        self.db.execute(
            "INSERT INTO txns (id, account, holder, due, currency, state, started, opened_reason)"
            " VALUES (?, ?, ?, ?, ?, 'open', ?, ?)",
            (txn, account, holder, due, currency, started, reason),
        )
        # the entry's `reason` is the row's opened_reason: `reason` stays free for how the payment ends
        chain.record(self.db, chain.TXN_OPEN, {"txn": txn, "account": account, "holder": holder, "due": due,
                                               "currency": currency, "started": started, "reason": reason})

    def _remember(self, entry: tuple[int, str], payment_seq: tuple[str, int, str] | None = None) -> None:
        if not self.db.conn.in_transaction:  # committed, not a savepoint inside a caller's transaction
            self._head = (self.db.conn.total_changes, *entry)
            self._seq = payment_seq or self._seq

    def _set_intent(self, txn: str, value: int, at: str) -> tuple[int, str]:
        self.db.conn.execute(
            "INSERT INTO stack_intent (slot, txn, value, at) VALUES (1, ?, ?, ?)"
            " ON CONFLICT (slot) DO UPDATE SET txn = excluded.txn, value = excluded.value,"
            " at = excluded.at",
            (txn, value, at),
        )
        return chain.record(self.db, chain.STACK_INTENT, {"txn": txn, "value": value, "at": at})

    def _insert_note(self, txn: str, value: int, event: str,
                     known: tuple[int, tuple[int, str], str] | None = None) -> tuple[tuple[int, str], int, str]:
        """Insert the note and its entry; (the entry's (seq, hash), the payment's seq, the note's time).

        `known`: the payment's seq, the chain's head and the payment's last note time, when the
        caller knows all three are current.
        """
        conn = self.db.conn
        # never before the payment started nor before its previous note (the times sort as text): a
        # clock stepped back during the payment (NTP, the backend's clock taken over) must not reorder it
        if known is not None:  # the previous note was no earlier than the start: no read on the hot path
            at = max(utc_now(), known[2])
        else:
            row = conn.execute("SELECT MAX(?, started, COALESCE((SELECT MAX(at) FROM notes WHERE txn = ?), ''))"
                               " FROM txns WHERE id = ?", (utc_now(), txn, txn)).fetchone()
            at = row[0] if row is not None else utc_now()
        note = conn.execute("INSERT INTO notes (txn, value, at, event) VALUES (?, ?, ?, ?)",
                            (txn, value, at, event)).lastrowid
        if known is None:
            # the payment's seq (set by the notes_credit trigger) and the chain's head in one read
            seq, head_seq, head_hash = conn.execute(
                "SELECT t.seq, a.seq, a.hash FROM txns t LEFT JOIN"
                " (SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1) a ON 1 WHERE t.id = ?", (txn,)).fetchone()
            head = (0, GENESIS) if head_seq is None else (head_seq, head_hash)
        else:
            seq, head = known[0], known[1]
        # the entry's text built directly and the note's own time: the hot path of every note
        entry = chain.record(conn, chain.NOTE, note_data_json(note, txn, value, at, event, seq), head=head, at=at)
        return entry, seq, at

    def _end(self, txn: str, state: str, ended: str) -> None:
        # never before it started nor before its last note (the times sort as text): a clock stepped back
        # during the payment (NTP, the backend's clock taken over) would get it refused by the backend and flagged
        self.db.execute("UPDATE txns SET state = ?, ended = MAX(?, started, COALESCE((SELECT MAX(at) FROM notes"
                        " WHERE notes.txn = txns.id), '')) WHERE id = ?", (state, ended, txn))
        self._record_state(txn)

    def _record_state(self, txn: str) -> None:
        row = self.db.conn.execute(
            "SELECT state, seq, amount, ended, balance, ref, reason, payload FROM txns WHERE id = ?",
            (txn,)).fetchone()
        state, seq, amount, ended, balance, ref, reason, payload = row
        chain.record(self.db, chain.TXN_STATE, {
            "txn": txn, "state": state, "seq": seq, "amount": amount, "ended": ended, "balance": balance,
            "ref": ref, "reason": reason, "payload": chain.payload_digest(payload)})

    def _follow_up(self, original: dict[str, Any]) -> str:
        txn = str(uuid.uuid4())
        self._insert_txn(txn, original["account"], original["holder"], original["due"],
                         original["currency"], FOLLOW_UP_REASON.format(txn=original["id"]))
        return txn

    def _last_note_at(self, txn: str) -> str:
        row = one(self.db, "SELECT MAX(at) AS at FROM notes WHERE txn = ?", (txn,))
        return row["at"] if row and row["at"] else utc_now()


def _require_int(name: str, value: object) -> None:
    # bool is an int subclass and float must never reach a money column
    if not isinstance(value, int) or isinstance(value, bool):
        raise LedgerError(f"{name} must be an integer amount in minor units, got {value!r}")


def _require_positive(name: str, value: object) -> None:
    _require_int(name, value)
    if value <= 0:  # type: ignore[operator]
        raise LedgerError(f"{name} must be positive, got {value!r}")
