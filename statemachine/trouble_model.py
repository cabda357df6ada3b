"""The model's side of trouble during cash: a stuck note, the validator lost, the box full.

One visit, one payment: after a jam the payment stays open on the help screen until the note
in the transport is settled (credited, handed back, or staff end the payment), at most
`timeouts.jam_wait`; only then are the counted notes submitted. A note that lands after that
becomes a follow-up payment (kioskd), and the customer's screen says so while it is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from statemachine.definition import NOTE_TIMED
from statemachine.ports import StuckNote

log = logging.getLogger("kioskd.machine")


class TroubleMixin:
    """Mixed into KioskModel: the help screen's reasons and the stuck-note wait."""

    state: str
    alerts: Any
    txn: str | None
    notes: list[int]
    help_reason: str | None
    submit_started: bool
    timeouts: Any
    machine: Any
    help_detail: str | None
    set_problem: Callable[[str, str | None], bool]

    def _reset_trouble(self) -> None:
        self.jammed = False  # the validator reports a jam (NoteJam, no JamCleared yet)
        self.jam_stopped = False  # a jam stopped this visit's payment (help_reason may move on to "flagged")
        self.loose_note: int | None = None  # escrowed, neither credited nor handed back yet
        self.left_behind: int | None = None  # submitted without this stuck note (fen)
        self.follow_up: dict[str, Any] | None = None  # a note that landed after the submit
        self.handed_back: int | None = None  # the stuck note came back out (fen; 0: value unknown)

    def jam_snapshot(self) -> dict[str, Any]:
        """The `jam` and `follow_up` keys of the screen snapshot."""
        jam = None
        if self.help_reason == "note_jam" or self.left_behind is not None or self.handed_back is not None:
            jam = {"waiting": self.waiting_for_note(), "note": self.loose_note, "left_behind": self.left_behind,
                   "handed_back": self.handed_back}
        return {"jam": jam, "follow_up": self.follow_up}

    def stuck_note(self) -> StuckNote | None:
        """What the receipt says of a stuck note not in this payment: handed back, or still stuck."""
        if self.handed_back is not None:
            return StuckNote(self.handed_back, handed_back=True)
        if self.left_behind is not None:
            return StuckNote(self.left_behind, handed_back=False)
        return None

    # --- the help screen's reasons ---------------------------------------------------------
    def help_jam(self, *_: Any) -> None:
        """A stuck note: tell the customer, call the staff, keep the payment open for the note."""
        self.help_reason = "note_jam"
        self.jammed = self.jam_stopped = True
        self.alerts.raise_alert("note_jam", "critical", cause="validator_jam", total=sum(self.notes), txn=self.txn)

    def help_no_progress(self, *_: Any) -> None:
        """A note with no outcome in escrow or stacking for timeouts.note_progress: a jam the validator
        did not report. The stack intent stays open; the note settles when it lands or comes back out."""
        where = self.state.rsplit("_", 1)[-1]  # escrow or stacking (`before`: still the source state)
        self.help_reason, self.help_detail = "note_jam", "no_progress"
        self.jam_stopped = True  # jammed stays False: no JamCleared will come, the note's outcome settles it
        log.warning("payment %s: the %s fen note made no progress in %s for %s s: treated as a jam",
                    self.txn, self.loose_note, where, self.timeouts.note_progress)
        # out of service after this payment until the note lands or comes back out (kioskd.pump): the
        # next customer would wait on a validator that holds a note (the journal books that note to its
        # own payment's follow-up whenever it lands: a credit goes only where its stack intent says)
        self.set_problem("jam", "validator_fault")
        self.alerts.raise_alert("note_jam", "critical", cause="no_progress", where=where, txn=self.txn,
                                total=sum(self.notes), note=self.loose_note)

    def note_in_flight(self, *_: Any) -> bool:
        """The note sent to the box is not credited yet (after its credit the journal holds it)."""
        return self.loose_note is not None

    def stacked_unreported(self, *_: Any) -> None:
        """The note was credited but the validator never said it was stacked: it is counted, go on."""
        log.warning("payment %s: a credited note was never reported stacked in %s s; taken as stacked",
                    self.txn, self.timeouts.note_progress)

    def note_progressed(self) -> None:
        """The note in escrow or stacking moved on (its credit point): its no-progress limit starts again."""
        if self.machine is not None and self.state in NOTE_TIMED:
            self.machine.get_state(self.state).restart_timer(self)

    def help_validator(self, *_: Any) -> None:
        """The validator stopped answering during cash."""
        self.help_reason = "validator_offline"

    def help_stacker_full(self, *_: Any) -> None:
        """The cash box is full: the payment ends with what was counted."""
        self.help_reason = "stacker_full"

    def enter_help(self, *_: Any) -> None:
        """The help screen: a reason, and 'please ask the staff'."""
        waiting = " (waiting for the stuck note)" if self.waiting_for_note() else ""
        log.info("help: %s (counted %d fen)%s", self.help_reason, sum(self.notes), waiting)

    def nothing_open(self, *_: Any) -> bool:
        """No payment of this visit is left to submit or close: none was started, or it went."""
        return self.txn is None or self.submit_started

    def cash_unsubmitted(self, *_: Any) -> bool:
        """Counted cash that has not been submitted yet."""
        return bool(self.notes) and not self.submit_started

    # --- the stuck note ----------------------------------------------------------------------
    def waiting_for_note(self, *_: Any) -> bool:
        """A jam stopped this payment and the note in the transport is not settled yet."""
        return (self.help_reason == "note_jam" and not self.submit_started
                and (self.jammed or self.loose_note is not None))

    def note_settled(self, *_: Any) -> bool:
        """The jam is over and no note is between escrow and the box or the customer."""
        return self.help_reason == "note_jam" and not self.jammed and self.loose_note is None

    def unjam(self, *_: Any) -> None:
        """The validator reports the jam cleared (the note may still be on its way)."""
        self.jammed = False

    def note_gone(self, value: Any = None, *_: Any) -> None:
        """The note in the transport went back to the customer (returned or rejected)."""
        if self.help_reason == "note_jam":  # the stuck note: the result must say it came back out
            self.handed_back = self.loose_note or (value if isinstance(value, int) else 0)
        self.loose_note = None

    def after_jam(self, *_: Any) -> bool:
        """This visit's payment was stopped by a stuck note (and went: its refusal keeps this true)."""
        return self.jam_stopped and self.submit_started

    def stuck_note_back(self, value: Any = None, *_: Any) -> None:
        """The stuck note came back out after its payment went (a jam in the acceptor settles at
        the jam's end, before the note is handed back): the result says to take it."""
        self.handed_back = self.left_behind or self.loose_note or (value if isinstance(value, int) else 0)
        self.left_behind = self.loose_note = None
        log.info("payment %s: the stuck note came back out (%s fen)", self.txn, self.handed_back or "?")

    def leave_note_behind(self, *_: Any) -> None:
        """The wait is over (jam_wait, or staff ended it): the counted notes go without the stuck one."""
        self.left_behind = self.loose_note or 0  # 0: still stuck, its value unknown (jammed in the acceptor)
        log.warning("payment %s submitted without the stuck note (%s fen)", self.txn, self.loose_note)

    def jam_over(self, *_: Any) -> None:
        """The stuck note was settled and nothing was counted: the help screen's own timeout now."""
        log.info("stuck note settled; nothing counted in payment %s", self.txn)

    def stuck_timeout(self, state: str, base: float) -> float | None:
        """The help screen waits `jam_wait` for a stuck note instead of its own timeout."""
        if state == "payment_help" and self.waiting_for_note():
            return float(self.timeouts.jam_wait)
        return None

    def landed_after_submit(self, txn: str, value: int, seq: int | None) -> None:
        """A note of payment `txn` landed after it was submitted: it became payment `seq`."""
        if self.txn == txn:  # that customer's result is still on screen: tell them
            self.follow_up = {"amount": value, "seq": seq}
            self.loose_note = None
