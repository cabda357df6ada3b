"""The async Ledger: the only way kioskd reaches the journal file.

All sqlite work runs on one dedicated thread (handoff.LedgerThread) that also
owns the connection, so the event loop never blocks on fsync and sqlite3's
same-thread check stays on.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from kioskd.ledger import payfigures, schema
from kioskd.ledger.audit import AuditStore
from kioskd.ledger.batchlog import BatchLog
from kioskd.ledger.casebook import CaseBook
from kioskd.ledger.cases import CaseStore
from kioskd.ledger.checkpoints import AuditProblem, Check, CheckpointStore, Sign
from kioskd.ledger.custody import CustodyStore
from kioskd.ledger.doubts import DoubtBook, DoubtStore
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.handoff import LedgerThread
from kioskd.ledger.invoices import InvoiceStore
from kioskd.ledger.journal import JournalStore
from kioskd.ledger.lookups import TxnQueries
from kioskd.ledger.outbox import OutboxStore
from kioskd.ledger.ratings import RatingStore
from kioskd.ledger.reconciliation import CountStore
from kioskd.ledger.records import OutboxItem, TxnRecord
from kioskd.ledger.registerbook import RegisterBook
from kioskd.ledger.registers import RegisterStore
from kioskd.ledger.reprints import SelfReprintStore
from kioskd.ledger.sqlite import backup_sync, check_pages_sync, open_sync, translated
from kioskd.ledger.staff import AuthResult, StaffMember, StaffStore
from statemachine.ports import AccountInfo

T = TypeVar("T")


class Ledger:
    """Money journal, box counters, outbox and audit chain in `<state_dir>/journal.sqlite3`."""

    def __init__(self, path: Path, thread: LedgerThread, db: Database,
                 kiosk_id: str, currency: str, pin_key: bytes | None = None) -> None:
        # use Ledger.open(); the constructor only wires parts already opened on `thread`
        self.path = path
        self._thread = thread
        self._db: Database | None = db
        self._journal = JournalStore(db, kiosk_id, currency)
        self._queries = TxnQueries(db)
        self._outbox = OutboxStore(db)
        self._batchlog = BatchLog(db)
        self._ratings = RatingStore(db)
        self._invoices = InvoiceStore(db)
        self._self_reprints = SelfReprintStore(db)
        self._audit = AuditStore(db)
        self.kiosk_id = kiosk_id
        self._custody = CustodyStore(db, self._audit)
        self._staff = StaffStore(db, self._audit, pin_key)
        self._checkpoints = CheckpointStore(db, self._audit, kiosk_id)
        self.cases = CaseBook(self._run, CaseStore(db))  # cases, their outcomes and figures
        # the count's handover record, counterfeits, differences, claims; keys, patrols, the work log
        self.registers = RegisterBook(self._run, CountStore(db), RegisterStore(db))
        self.doubts = DoubtBook(self._run, DoubtStore(db))  # notes whose fate a restart left unknown

    @classmethod
    async def open(cls, state_dir: Path, kiosk_id: str, currency: str = "CNY",
                   quick_check: bool = True, pin_key: bytes | None = None) -> Ledger:
        """Open (creating and migrating as needed) the journal in `state_dir`.

        `pin_key` (kioskd.uplink.keys.derived_secret of the kiosk key) is needed for staff accounts.
        """
        path = Path(state_dir) / schema.JOURNAL_FILE
        thread = LedgerThread()
        try:
            db = await thread.run(functools.partial(open_sync, path, kiosk_id, currency, quick_check))
        except BaseException:
            thread.stop()
            raise
        return cls(path, thread, db, kiosk_id, currency, pin_key)

    async def close(self) -> None:
        """Close the connection and stop the ledger thread; idempotent."""
        if self._db is None:
            return
        db, self._db = self._db, None
        try:
            await self._thread.run(db.close)
        finally:
            self._thread.stop()

    # -- statemachine.ports.Journal -------------------------------------------------
    async def open_payment(self, info: AccountInfo) -> str:
        """Open a cash session for a looked-up account; state open, no seq yet."""
        return await self._run(
            self._journal.open_payment, info.account, info.holder, info.due, info.currency
        )

    async def stack_requested(self, txn: str, value: int) -> None:
        """Durably note that STACK is about to be sent for a note of `value` fen."""
        await self._run(self._journal.stack_requested, txn, value)

    async def withdraw_stack_intent(self, txn: str, value: int) -> bool:
        """The note went back without STACK: clear its intent if still open (queued after the intent's write)."""
        return await self._run(self._journal.withdraw_stack_intent, txn, value)

    async def commit_note(self, txn: str, value: int) -> int:
        """Add a stacked note: note, amount, seq (first note), counters; one fsynced write. The payment's seq."""
        return await self._run(self._journal.commit_note, txn, value)

    async def close_payment(self, txn: str) -> bool:
        """End the cash session: True when it took cash (closed), False when cancelled."""
        return await self._run(self._journal.close_payment, txn)

    async def rate_payment(self, txn: str, rating: str) -> None:
        """Keep the customer's rating (good, fair, poor) of a payment; once per payment."""
        await self._run(self._ratings.rate, txn, rating)

    async def batch_ratings(self, after_id: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Rating records after id `after_id` for the next batch."""
        return await self._run(self._ratings.after, after_id, limit)

    async def request_invoice(self, txn: str) -> dict[str, Any]:
        """The customer's invoice request of a payment (made once; with its audit entry)."""
        return await self._run(self._invoices.request, txn)

    async def invoice(self, txn: str) -> dict[str, Any] | None:
        """A payment's invoice request and its state, or None."""
        return await self._run(self._invoices.get, txn)

    async def settle_invoice(self, txn: str, state: str, *, number: str | None = None, url: str | None = None,
                             reason: str | None = None) -> None:
        """The backend's definite answer to an invoice request."""
        await self._run(lambda: self._invoices.settle(txn, state, number=number, url=url, reason=reason))

    async def batch_invoices(self, after_id: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Batch records of answered invoice requests after `after_id`."""
        return await self._run(self._invoices.after, after_id, limit)

    async def ratings_between(self, since: str, until: str) -> dict[str, int]:
        """Ratings of the payments that ended in [since, until), by rating."""
        return await self._run(self._ratings.between, since, until)

    async def self_reprinted(self, txns: list[str]) -> set[str]:
        """Which of `txns` the customer has already reprinted at the kiosk."""
        return await self._run(self._self_reprints.reprinted, txns)

    async def mark_self_reprint(self, txn: str) -> None:
        """Record the customer's one copy of payment `txn` (LedgerError for a second)."""
        await self._run(self._self_reprints.mark, txn)

    # -- note in flight across a restart --------------------------------------------
    async def commit_in_flight_note(self, value: int | None = None) -> tuple[str, int] | None:
        """Credit the open stack intent; returns (txn now holding the note, value) or None.

        With `value` (the device said the note's value) only an intent of that value is credited.

        When the intent's txn is still open the note joins it. When it has ended (the
        start-up `recover()` ran first) the note becomes a new `closed` txn for the
        same account, which the caller submits like any recovered payment.
        """
        return await self._run(self._journal.commit_in_flight_note, value)

    async def drop_in_flight_note(self) -> tuple[str, int] | None:
        """The note did not reach the box: clear the intent; returns what it was."""
        return await self._run(self._journal.drop_in_flight_note)

    # -- settlement -----------------------------------------------------------------
    async def payment_payload(self, txn: str) -> dict[str, Any]:
        """The backend-api payment object of a txn that took cash."""
        return await self._run(self._journal.payment_payload, txn)

    async def set_payload(self, txn: str, jws: str) -> None:
        """Store the signed payload once; a different second value raises LedgerError."""
        await self._run(self._journal.set_payload, txn, jws)

    async def settle(
        self,
        txn: str,
        status: str,
        *,
        balance: int | None = None,
        ref: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Record the payment's outcome: credited, pending or flagged."""
        await self._run(self._journal.settle, txn, status, balance, ref, reason)

    async def mark_reprint(self, txn: str, wanted: bool) -> None:
        """Remember whether the receipt still has to be printed."""
        await self._run(self._journal.mark_reprint, txn, wanted)

    async def transaction(self, txn_or_seq: str | int) -> TxnRecord | None:
        """One transaction by id (str) or seq (int); None when unknown."""
        return await self._run(self._queries.transaction, txn_or_seq)

    async def transactions(
        self,
        *,
        account: str | None = None,
        since: str | None = None,
        until: str | None = None,
        amount: int | None = None,
        states: tuple[str, ...] | None = None,
        by: str = "started",
    ) -> list[TxnRecord]:
        """Transactions matching all given filters (since <= `by` < until, `by` started or ended), oldest first."""
        return await self._run(self._queries.transactions, account, since, until, amount, states, by)

    async def payment_figures(self, since: str, until: str, states: tuple[str, ...], width: int) -> dict[str, Any]:
        """Totals of the payments in [since, until) summed by SQLite (payfigures.payment_figures)."""
        return await self._run(payfigures.payment_figures, self._queries.db, since, until, states, width)

    async def pending_money(self) -> int:
        """Fen taken in payments not yet credited (closed or pending): what an outage holds."""
        return await self._run(self._journal.pending_money)

    async def recover(self) -> list[str]:
        """End txns a crash left open; ids needing submit (closed or pending), oldest first."""
        return await self._run(self._journal.recover)

    async def counters(self) -> dict[int, int]:
        """Notes per value (fen) since the last box change."""
        return await self._run(self._journal.counters)

    async def reset_counters(self, box_id: str) -> dict[int, int]:
        """Freeze and return the counters (recorded under `box_id`), start new ones at zero."""
        return await self._run(self._journal.reset_counters, box_id)

    # -- outbox ---------------------------------------------------------------------
    async def outbox_put(self, kind: str, key: str, body: str) -> int:
        """Queue an item; idempotent on (kind, key): the first body and id are kept."""
        return await self._run(self._outbox.put, kind, key, body)

    async def outbox_next(self, kind: str) -> OutboxItem | None:
        """The oldest undone item of `kind`, regardless of next_try."""
        return await self._run(self._outbox.next, kind)

    async def outbox_done(self, item_id: int, answer: str) -> None:
        """Record the definite answer; the item is kept, no longer undone."""
        await self._run(self._outbox.done, item_id, answer)

    async def outbox_retry(self, item_id: int, next_try: str, error: str) -> None:
        """Count a failed try; `next_try` is an RFC 3339 time."""
        await self._run(self._outbox.retry, item_id, next_try, error)

    async def outbox_depth(self) -> dict[str, int]:
        """Undone items per kind."""
        return await self._run(self._outbox.depth)

    async def outbox_last(self, kind: str) -> OutboxItem | None:
        """The newest item of `kind`, done or not (the batch chain's tip)."""
        return await self._run(self._batchlog.last, kind)

    async def outbox_item(self, kind: str, key: str) -> OutboxItem | None:
        """The item (kind, key), done or not."""
        return await self._run(self._batchlog.item, kind, key)

    # -- batch records ----------------------------------------------------------------
    async def batch_cursors(self) -> dict[str, int]:
        """How far payments, audit entries and alerts have gone into batches."""
        return await self._run(self._batchlog.cursors)

    async def set_batch_cursors(self, cursors: dict[str, int]) -> None:
        """Move the batch cursors once a batch is queued."""
        await self._run(self._batchlog.set_cursors, cursors)

    async def batch_payments(self, after_seq: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Final payments after `after_seq` as batch records, in seq order."""
        return await self._run(self._batchlog.payments_after, after_seq, limit)

    async def batch_case_steps(self, after_id: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Case step records after step id `after_id` for the next batch."""
        return await self.cases.steps_after(after_id, limit)

    async def batch_alerts(self, after_id: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Alert changes after outbox id `after_id` as batch records."""
        return await self._run(self._batchlog.alerts_after, after_id, limit)

    # -- audit chain ----------------------------------------------------------------
    async def audit_append(self, kind: str, data: dict[str, Any]) -> tuple[int, str]:
        """Append a hash-chained audit entry; returns (seq, sha256 hex)."""
        return await self._run(self._audit.append, kind, data)

    async def audit_head(self) -> tuple[int, str]:
        """(seq, hash) of the newest audit entry; (0, 64 zeros) when empty."""
        return await self._run(self._audit.head)

    async def check_pages(self) -> None:
        """PRAGMA quick_check on a read-only connection of its own: the ledger thread stays free."""
        await asyncio.to_thread(check_pages_sync, self.path)

    async def audit_entry_head(self, seq: int) -> tuple[int, str]:
        """(seq, hash) of entry `seq`; (0, 64 zeros) for 0."""
        return await self._run(self._audit.entry_head, seq)

    async def audit_verify(self) -> int | None:
        """Seq of the first bad audit entry; None when the chain holds."""
        return await self._run(self._audit.verify)

    async def audit_append_checkpointed(self, kind: str, data: dict[str, Any], sign: Sign) -> tuple[int, str]:
        """Append an entry and a signed checkpoint at it, atomically (custody session ends)."""
        return await self._run(self._checkpoints.append_checkpointed, kind, data, sign)

    async def audit_checkpoint(self, sign: Sign) -> tuple[int, str] | None:
        """Sign a checkpoint of the present head (once per seq); None when the chain is empty."""
        return await self._run(self._checkpoints.checkpoint, sign)

    async def audit_last_checkpoint(self) -> dict[str, Any] | None:
        """The newest checkpoint: {seq, hash, at, sig}, or None."""
        return await self._run(self._checkpoints.last)

    async def audit_entries(self, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Audit entries with seq > `after` as batch records (kind "audit", type = entry kind)."""
        return await self._run(self._checkpoints.entries, after, limit)

    async def audit_check(self, check: Check, witness: tuple[int, str] | None = None, *,
                          full: bool = True) -> list[AuditProblem]:
        """Schema, chain, checkpoints (signatures checked by `check`), money tables, a witnessed head.

        `full=False` (start-up) recomputes hashes from the last signed checkpoint only.
        """
        return await self._run(functools.partial(self._checkpoints.check, check, witness, full=full))

    async def start_run(self, sign: Sign, data: dict[str, Any]) -> tuple[int, str]:
        """The daemon starts serving: a `restart` entry and a signed checkpoint right after it."""
        return await self._run(self._checkpoints.append_checkpointed, "restart", data, sign)

    # -- staff accounts (kioskd.hall.accounts is the API the rest of kioskd uses) -----
    async def staff_add(self, staff_id: str, name: str, role: str, secret: str, by: dict[str, Any]) -> None:
        """Add a staff account (secret stored as a salted, keyed scrypt hash); audited with `by`."""
        await self._run(self._staff.add, staff_id, name, role, secret, by)

    async def staff_key_old_hashes(self) -> list[str]:
        """Key the PIN hashes an older kioskd left plain; the staff IDs upgraded (audited)."""
        return await self._run(self._staff.key_old_hashes)

    async def staff_disable(self, staff_id: str, by: dict[str, Any]) -> None:
        """Disable a staff account for good; audited with `by`."""
        await self._run(self._staff.disable, staff_id, by)

    async def staff_enabled(self, staff_id: str) -> bool:
        """Whether the staff account exists and is not disabled."""
        return await self._run(self._staff.enabled, staff_id)

    async def staff_list(self, role: str | None = None) -> list[StaffMember]:
        """Every staff account (of `role` when given), by ID."""
        return await self._run(self._staff.members, role)

    async def staff_authenticate(
        self, staff_id: str, secret: str, *, context: dict[str, Any], max_failures: int = 5,
        lockout: float = 900.0, now: datetime | None = None,
    ) -> AuthResult:
        """Check ID + secret; failures count towards a lock-out; attempt and lock-out audited."""
        moment = now or datetime.now(UTC)
        return await self._run(self._staff.authenticate, staff_id, secret, moment, context, max_failures, lockout)

    # -- custody sessions -----------------------------------------------------------
    async def custody_open(self, session: str, source: str) -> None:
        """Record a started custody session."""
        await self._run(self._custody.open_session, session, source)

    async def custody_update(self, session: str, **fields: str | None) -> None:
        """Set tech1/tech2/box_id/outcome/reason/ended of a custody session."""
        await self._run(functools.partial(self._custody.update_session, session, **fields))

    async def custody_session(self, session: str) -> dict[str, Any] | None:
        """One custody session row."""
        return await self._run(self._custody.session, session)

    async def custody_completed_since(self, at: str) -> str | None:
        """A custody session completed after `at` (RFC 3339 UTC), or None."""
        return await self._run(self._custody.completed_since, at)

    async def box_figures(self) -> dict[str, Any]:
        """The box in the kiosk: {since, counts {value: notes}, payments, amount}."""
        return await self._run(self._custody.box_figures)

    # -- maintenance ----------------------------------------------------------------
    async def backup(self, dest: Path) -> None:
        """Write a consistent copy of the journal to `dest` (SQLite backup API, fsynced)."""
        assert self._db is not None
        await self._run(backup_sync, self._db, Path(dest))

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._db is None:
            raise LedgerError(f"journal {self.path} is closed")
        return await self._thread.run(functools.partial(translated, self.path, fn, *args))
