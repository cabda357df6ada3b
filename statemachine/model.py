"""The machine's model: the customer's payment as it goes, and the callbacks.

Callbacks stay short. Backend, journal-close and printer work runs in tasks the
model owns; their results come back as triggers (`lookup_ok`, `submitted`,
`printed`). Triggers are never wrapped in timeouts (transitions swallows outside
cancellation); the timed states carry their own AsyncTimeout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict
from typing import Any

from drivers.base import BillValidator, NoteCredited
from statemachine.custody_model import CustodyModelMixin
from statemachine.definition import NOTE_TIMED, TIMEOUT_KEYS, TRIGGERS
from statemachine.escrow_model import EscrowMixin
from statemachine.invoice_model import InvoiceMixin
from statemachine.ports import (
    AccountInfo,
    AlertService,
    Journal,
    LookupFailed,
    PaymentResult,
    Payments,
    ReceiptService,
    Reprints,
)
from statemachine.reasons import lookup_reason, payment_reason
from statemachine.reprint_model import ReprintMixin
from statemachine.result_model import ResultMixin
from statemachine.rules import DEFAULT_RULES, DEFAULT_SITE, Rules, Site, account_problem
from statemachine.trouble_model import TroubleMixin
from statemachine.visit_model import VisitMixin

log = logging.getLogger("kioskd.machine")

Snapshot = dict[str, Any]

# keys that fire the trigger of the same name (digits and ratings carry their value); a soft
# key the chart has no transition for yet is ignored
KEY_TRIGGERS = frozenset({"backspace", "cancel", "confirm", "finish", "lang", "touch", "large_text",
                          "reprint", "invoice"}) & frozenset(TRIGGERS)


class NoteWithoutPayment(RuntimeError):
    """A note was credited after its payment left the screen."""


class KioskModel(CustodyModelMixin, EscrowMixin, VisitMixin, InvoiceMixin, TroubleMixin, ReprintMixin, ResultMixin):
    """One customer at a time: account, look-up, cash, submit, receipt."""

    state: str
    # added by transitions (build_machine): fire a trigger by name; False when it did not apply
    trigger: Callable[..., Awaitable[bool]]

    def __init__(
        self,
        *,
        validator: BillValidator,
        journal: Journal,
        payments: Payments,
        receipts: ReceiptService,
        alerts: AlertService,
        rules: Rules = DEFAULT_RULES,
        site: Site = DEFAULT_SITE,
        reprints: Reprints | None = None,
        publish: Callable[[Snapshot], None] = lambda snapshot: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.validator, self.journal, self.payments = validator, journal, payments
        self.receipts, self.alerts, self.rules, self.site = receipts, alerts, rules, site
        self.reprints = reprints  # None: no self-service reprint on this kiosk
        self._publish, self._clock = publish, clock
        self.machine: Any = None  # set by build_machine
        self.locale = rules.locale
        self.problems: dict[str, str] = {}  # what keeps the kiosk from taking cash
        self.notices: set[str] = set()
        self.tasks: set[asyncio.Task[Any]] = set()
        self._deadline: float | None = None
        self.gen = 0
        self._reset_payment()

    def _reset_payment(self) -> None:
        self.account = ""
        self.account_error: str | None = None
        self.lookup_error: str | None = None
        self.info: AccountInfo | None = None
        self.txn: str | None = None
        self.seq: int | None = None
        self.notes: list[int] = []
        self.escrow_value: int | None = None
        self.stack_txn: str | None = None
        self.message: str | None = None
        self.submit_started = False
        self.finish_pending = False
        self.result: PaymentResult | None = None
        self.receipt: str | None = None
        self.help_reason: str | None = None
        self.help_detail: str | None = None  # which refusal or look-up failure (statemachine.reasons)
        self.rating: str | None = None
        self.invoice_asked = None
        self._reset_trouble()
        self._reset_reprint()

    # --- what the screen shows -------------------------------------------------
    @property
    def total(self) -> int:
        """Fen counted so far in this payment."""
        return sum(self.notes)

    def max_more(self) -> int | None:
        """The most that can still be paid in this payment, in fen."""
        if self.info is None:
            return None
        return max(0, min(self.info.max, self.rules.max_payment) - self.total)

    def snapshot(self) -> Snapshot:
        """The state the customer screen renders (contract in kioskd/screen)."""
        timed = self.state in TIMEOUT_KEYS and self.state not in NOTE_TIMED  # the customer's countdowns
        deadline = self._deadline if timed else None
        state_obj = self.machine.get_state(self.state) if self.machine else None
        return {
            "state": self.state,
            "locale": self.locale,
            "account": self.account,
            "account_error": self.account_error,
            "lookup_error": self.lookup_error,
            "info": None if self.info is None else {
                k: getattr(self.info, k) for k in ("holder", "due", "balance", "min", "max")
            },
            "denominations": list(self.validator.denominations()),
            "notes": list(self.notes),
            "total": self.total,
            "max_more": self.max_more(),
            "message": self.message,
            "deadline": None if deadline is None else int(deadline * 1000),
            "timeout": self.timeout_seconds(self.state, getattr(state_obj, "timeout", 0)) if timed else 0,
            "result": None if self.result is None else {
                **{k: v for k, v in asdict(self.result).items() if k != "notes"},
                "reason_code": payment_reason(self.result.status, self.result.reason),
            },
            "receipt": self.receipt,
            "rating": self.rating,
            "invoice": self.invoice_asked,
            "large_text": self.text_enlarged,
            "help": None if self.help_reason is None else {
                "reason": self.help_reason, "detail": self.help_detail, "total": self.total,
            },
            "unavailable": {"reason": next(iter(self.problems.values()))}
            if self.state == "unavailable" and self.problems else None,
            "notices": sorted(self.notices),
            "site": {"hall": self.site.hall, "hall_en": self.site.hall_en or self.site.hall,
                     "hotline": self.site.hotline},
            **self.jam_snapshot(),
            **self.reprint_snapshot(),
            **self.custody_snapshot(),
        }

    def publish(self, *_: Any) -> None:
        """Push the current snapshot to the screen."""
        self._publish(self.snapshot())

    def mark_deadline(self, *_: Any) -> None:
        """Remember when the timed state just entered will time out."""
        state_obj = self.machine.get_state(self.state)
        self._deadline = self._clock() + self.timeout_seconds(self.state, state_obj.timeout)

    # --- health ------------------------------------------------------------------
    def set_problem(self, key: str, reason: str | None) -> bool:
        """Record (or clear with None) a condition that stops payments; True if changed."""
        before = dict(self.problems)
        if reason is None:
            self.problems.pop(key, None)
        else:
            self.problems[key] = reason
        return before != self.problems

    def healthy(self, *_: Any) -> bool:
        """True when nothing stops the kiosk from taking payments."""
        return not self.problems

    # --- tasks -------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> None:
        """Run device/backend work in a task the model owns; log its failure."""
        task = asyncio.get_running_loop().create_task(coro, name=what)
        self.tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self.tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s failed: %r", what, t.exception(), exc_info=t.exception())

        task.add_done_callback(done)

    # --- idle and unavailable --------------------------------------------------------
    async def enter_idle(self, *_: Any) -> None:
        """Back to the attract screen; go unavailable if something is wrong."""
        self._reset_payment()
        self.end_visit()
        if not self.healthy():
            await self.trigger("health_changed")

    def enter_unavailable(self, *_: Any) -> None:
        """Out of service; the reason is in the snapshot."""
        log.warning("out of service: %s", ", ".join(sorted(self.problems.values())) or "?")

    def toggle_locale(self, *_: Any) -> None:
        """Switch the screen between zh-CN and en."""
        self.locale = "en" if self.locale == "zh-CN" else "zh-CN"

    # --- account entry ----------------------------------------------------------------
    def type_digit(self, digit: str = "", *_: Any) -> None:
        """Append a typed digit (up to the maximum length)."""
        self.account_error = None
        if digit.isdigit() and len(digit) == 1 and len(self.account) < self.rules.account_max:
            self.account += digit

    def erase_digit(self, *_: Any) -> None:
        """Remove the last typed digit."""
        self.account_error = None
        self.account = self.account[:-1]

    def account_valid(self, *_: Any) -> bool:
        """The local format check passes."""
        return account_problem(self.account, self.rules) is None

    def show_account_error(self, *_: Any) -> None:
        """Say what is wrong with the typed account number."""
        self.account_error = account_problem(self.account, self.rules)

    # --- look-up -----------------------------------------------------------------------
    def start_lookup(self, *_: Any) -> None:
        """Ask the backend about the account in a task."""
        self.gen += 1
        gen, account = self.gen, self.account
        self.lookup_error = None

        async def lookup() -> None:
            try:
                info = await self.payments.lookup(account)
            except LookupFailed as err:
                log.info("look-up of %s failed: %s", account, err)
                await self.trigger("lookup_failed", gen, lookup_reason(err.reason, err.detail))
            else:
                await self.trigger("lookup_ok", gen, info)

        self.spawn(lookup(), "lookup")

    def is_current(self, gen: int = -1, *_: Any) -> bool:
        """A task's result belongs to the payment now on screen."""
        return gen == self.gen

    def store_info(self, gen: int, info: AccountInfo, *_: Any) -> None:
        """Keep the found account for confirmation."""
        self.info = info

    def store_lookup_error(self, gen: int, reason: str, *_: Any) -> None:
        """Keep why the look-up failed; the help screen says it."""
        self.lookup_error = self.help_detail = reason
        self.help_reason = "lookup"

    # --- cash -------------------------------------------------------------------------------
    async def enter_cash(self, *_: Any) -> None:
        """Open the journal's cash session, then enable the validator (invariant 1)."""
        assert self.info is not None
        self.txn = await self.journal.open_payment(self.info)
        await self._set_accepting(True)

    async def exit_cash(self, *_: Any) -> None:
        """Inhibit the validator whenever the machine leaves payment_cash."""
        await self._set_accepting(False)

    async def _set_accepting(self, enabled: bool) -> None:
        try:
            await self.validator.set_accepting(enabled)
        except Exception as err:  # the driver re-applies the wanted state on reconnect
            log.error("validator %s failed: %s", "enable" if enabled else "inhibit", err)

    async def commit_credit(self, event: NoteCredited) -> None:
        """The driver's commit callback: journal the note durably before its ACK."""
        txn = self.stack_txn or self.txn
        if event.value is None or txn is None:
            raise NoteWithoutPayment("a credited note with no payment on screen: the journal's intent decides")
        self.note_progressed()  # the validator reached its credit point: a slow journal is not a jam
        seq = await self.journal.commit_note(txn, event.value)
        if txn == self.txn:  # the serial number the customer is told should the journal not answer later
            self.seq = seq
        self.notes.append(event.value)
        self.stack_txn = self.loose_note = None
        self.publish()

    def count_note(self, *_: Any) -> None:
        """A note reached the box; the screen shows the new total."""
        self.message = None

    def has_notes(self, *_: Any) -> bool:
        """The customer has inserted cash in this payment."""
        return bool(self.notes)

    def reached_min(self, *_: Any) -> bool:
        """The payment reached the backend's minimum."""
        return self.info is not None and self.total >= self.info.min

    def defer_finish(self, *_: Any) -> None:
        """Finish pressed while a note is on its way: remember it for when it has landed."""
        self.finish_pending = True

    async def resume_finish(self, *_: Any) -> None:
        """Back to waiting after a note: a finish pressed meanwhile takes effect now."""
        if self.finish_pending:
            self.finish_pending = False
            await self.trigger("finish")

    def say_below_min(self, *_: Any) -> None:
        """Explain that the minimum is not reached yet."""
        self.message = "below_min"

    def say_cancel_refused(self, *_: Any) -> None:
        """Cash is in the box: cancel is refused, finish is the way out."""
        self.message = "cancel_refused"

    def say_rejected(self, reason: str = "", inhibited: bool = False, *_: Any) -> None:
        """The validator refused a note (and handed it back): not recognised, or not taken now."""
        self.message = "note_not_taken" if inhibited else "note_rejected"
        self.loose_note = None

    async def exit_payment(self, *_: Any) -> None:
        """Leaving the payment: a cash session that took nothing is cancelled."""
        if self.txn is not None and not self.submit_started:
            if self.notes:  # cannot happen through the chart; never lose it anyway
                log.critical("payment %s left with cash unsubmitted; submitting", self.txn)
                txn = self.txn
                self.spawn(self._late_submit(txn), "late-submit")
            else:
                await self.journal.close_payment(self.txn)

    async def _late_submit(self, txn: str) -> None:
        await self.journal.close_payment(txn)
        await self.payments.submit(txn)

    # --- keys --------------------------------------------------------------------------------------
    async def press(self, key: str) -> None:
        """Feed one key from any keypad into the machine."""
        if await self.press_maintenance(key):
            return
        if key.isdigit() and len(key) == 1:
            await self.trigger("digit", key)
        elif key.startswith("rate_"):
            await self.trigger("rate", key.removeprefix("rate_"))
        elif key in KEY_TRIGGERS:
            await self.trigger(key)
        else:
            log.debug("ignored key %r", key)
