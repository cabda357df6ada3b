"""The kiosk's state chart as data: nested states, timeouts and transitions.

`_` separates levels (payment_cash_waiting). Guards are model methods named
in `conditions`/`unless`; effects are model methods in `before` (run before the
destination's on_enter, which may depend on them) and `on_enter`/`on_exit`.
Order matters: for one trigger, a state's own transitions are tried before the
wildcard ones listed later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Timed states and the [timeouts] key (seconds) that bounds each.
TIMEOUT_KEYS: dict[str, str] = {
    "payment_account": "account",
    "payment_confirm": "confirm",
    "payment_cash_waiting": "cash_idle",
    "payment_cash_escrow": "note_progress",
    "payment_cash_stacking": "note_progress",
    "payment_receipt": "receipt",
    "payment_done": "result",
    "payment_help": "help",
    "service_reprint_account": "account",
    "service_reprint_choose": "confirm",
    "service_reprint_done": "result",
}

# timed states bounded for the device's sake, not the customer's: no countdown on screen, not
# stretched by large text
NOTE_TIMED = frozenset({"payment_cash_escrow", "payment_cash_stacking"})

DIGITS = tuple("0123456789")


@dataclass(frozen=True)
class Timeouts:
    """Seconds for each timed state (from [timeouts])."""

    account: float = 60.0
    confirm: float = 60.0
    cash_idle: float = 60.0
    result: float = 20.0
    receipt: float = 30.0
    help: float = 60.0
    # the help screen of a stuck note waits this long for the note before the counted cash
    # is submitted without it
    jam_wait: float = 600.0
    # a note that makes no progress in escrow or stacking this long is treated as a jam
    note_progress: float = 30.0
    # large text (the accessibility key) multiplies every customer timeout by this
    large_text_factor: float = 2.0


def _state(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra}


def states(timeouts: Timeouts) -> list[dict[str, Any]]:
    """The nested state list for HierarchicalAsyncMachine, with timeouts filled in."""

    def timed(path: str, name: str, trigger: str = "timeout", **extra: Any) -> dict[str, Any]:
        seconds = getattr(timeouts, TIMEOUT_KEYS[path])
        on_enter = ["mark_deadline", *([extra.pop("on_enter")] if "on_enter" in extra else [])]
        return _state(name, timeout=seconds, on_timeout=trigger, on_enter=on_enter, **extra)

    cash = _state(
        "cash",
        initial="waiting",
        on_enter="enter_cash",
        on_exit="exit_cash",
        children=[
            timed("payment_cash_waiting", "waiting", on_enter="resume_finish"),
            # each note enters both afresh, so the no-progress limit restarts per note; a trigger of
            # its own, so a cash_idle timeout queued behind a note never reads as one (nor the reverse)
            timed("payment_cash_escrow", "escrow", "no_progress", on_enter="decide_escrow"),
            timed("payment_cash_stacking", "stacking", "no_progress"),
        ],
    )
    payment = _state(
        "payment",
        initial="account",
        on_exit="exit_payment",
        children=[
            timed("payment_account", "account"),
            _state("lookup", on_enter="start_lookup"),
            timed("payment_confirm", "confirm"),
            cash,
            _state("submit", on_enter="start_submit"),
            timed("payment_receipt", "receipt", on_enter="start_receipt"),
            timed("payment_done", "done"),
            timed("payment_help", "help", on_enter="enter_help"),
        ],
    )
    # the customer's own copy of a recent receipt (补打凭条), from the idle screen
    reprint = _state(
        "reprint",
        initial="account",
        children=[
            timed("service_reprint_account", "account"),
            _state("lookup", on_enter="start_reprint_lookup"),
            timed("service_reprint_choose", "choose"),
            _state("printing", on_enter="start_reprint"),
            timed("service_reprint_done", "done"),
        ],
    )
    return [
        _state("starting"),
        _state("service", initial="idle", children=[_state("idle", on_enter="enter_idle"), reprint]),
        payment,
        _state(
            "maintenance",
            initial="login",
            on_enter="enter_maintenance",
            children=[_state("login"), _state("open"), _state("count"), _state("result")],
        ),
        _state("unavailable", on_enter="enter_unavailable"),
    ]


P = "payment_"
CASH = P + "cash"
R = "service_reprint_"


def _t(trigger: str, source: str | list[str], dest: str | None, **extra: Any) -> dict[str, Any]:
    return {"trigger": trigger, "source": source, "dest": dest, **extra}


# the keys that leave an end screen (help, done)
END_KEYS = ("digit", "backspace", "cancel", "confirm", "finish", "touch")
# events that may settle a stuck note, and the model method that records what each settled
SETTLING: tuple[tuple[str, str | None], ...] = (
    ("jam_cleared", "unjam"),  # the jam is over (the note may still be on its way)
    ("note_stacked", None),  # credited: commit_credit already counted it
    ("note_returned", "note_gone"),
    ("note_rejected", "note_gone"),
)

_CHART: list[dict[str, Any]] = [
    # start-up: the daemon decides once recovery and the device probes are done
    _t("ready", "starting", "service_idle", conditions="healthy"),
    _t("ready", "starting", "unavailable"),
    _t("health_changed", "starting", None),  # start-up weighs health once, at `ready`
    # idle: a digit starts account entry with that digit typed; confirm/touch starts it empty
    _t("digit", "service_idle", P + "account", before="type_digit"),
    _t("confirm", "service_idle", P + "account"),
    _t("touch", "service_idle", P + "account"),
    _t("health_changed", "service_idle", "unavailable", unless="healthy"),
    _t("health_changed", "unavailable", "service_idle", conditions="healthy"),
    # account entry
    # edits re-enter the state (not internal) so that each key restarts the timer
    _t("digit", P + "account", P + "account", before="type_digit"),
    _t("backspace", P + "account", P + "account", before="erase_digit"),
    _t("confirm", P + "account", P + "lookup", conditions="account_valid"),
    _t("confirm", P + "account", P + "account", before="show_account_error"),
    _t("cancel", P + "account", "service_idle"),
    _t("timeout", P + "account", "service_idle"),
    # look-up: the result comes back from a task; stale results (older gen) are ignored
    _t("lookup_ok", P + "lookup", P + "confirm", conditions="is_current", before="store_info"),
    _t("lookup_failed", P + "lookup", P + "help", conditions="is_current", before="store_lookup_error"),
    _t("cancel", P + "lookup", "service_idle"),
    # confirmation
    _t("confirm", P + "confirm", CASH),
    _t("cancel", P + "confirm", "service_idle"),
    _t("timeout", P + "confirm", "service_idle"),
    # cash: one note at a time through escrow and stacking
    _t("note_escrowed", CASH + "_waiting", CASH + "_escrow", before="hold_escrow"),
    _t("escrow_stack", CASH + "_escrow", CASH + "_stacking"),
    _t("escrow_return", CASH + "_escrow", CASH + "_waiting"),
    _t("note_stacked", CASH + "_stacking", CASH + "_waiting", before="count_note"),
    _t("note_returned", [CASH + "_stacking", CASH + "_escrow"], CASH + "_waiting", before="note_gone"),
    _t("note_rejected", [CASH + "_stacking", CASH + "_escrow"], CASH + "_waiting", before="say_rejected"),
    _t("note_rejected", CASH + "_waiting", None, before="say_rejected"),
    _t("finish", CASH + "_waiting", P + "submit", conditions=["has_notes", "reached_min"]),
    _t("finish", CASH + "_waiting", "service_idle", unless="has_notes"),
    _t("finish", CASH + "_waiting", None, before="say_below_min"),
    _t("confirm", CASH + "_waiting", P + "submit", conditions=["has_notes", "reached_min"]),
    _t("confirm", CASH + "_waiting", "service_idle", unless="has_notes"),
    _t("confirm", CASH + "_waiting", None, before="say_below_min"),
    # finish pressed while a note is going in: done once the note has landed
    _t("finish", [CASH + "_escrow", CASH + "_stacking"], None, before="defer_finish"),
    _t("confirm", [CASH + "_escrow", CASH + "_stacking"], None, before="defer_finish"),
    _t("cancel", CASH + "_waiting", "service_idle", unless="has_notes"),
    _t("cancel", CASH + "_waiting", None, before="say_cancel_refused"),
    _t("timeout", CASH + "_waiting", P + "submit", conditions="has_notes"),
    _t("timeout", CASH + "_waiting", "service_idle"),
    # trouble while taking cash: the counted notes stay with the payment
    _t("note_jam", CASH, P + "help", before="help_jam"),
    # a note with no outcome for timeouts.note_progress: the jam path, the validator left polling
    # (a note already credited is in the payment: its STACKED report went missing, not the note)
    _t("no_progress", CASH + "_stacking", CASH + "_waiting", unless="note_in_flight", before="stacked_unreported"),
    _t("no_progress", [CASH + "_escrow", CASH + "_stacking"], P + "help", before="help_no_progress"),
    _t("validator_lost", CASH, P + "help", before="help_validator"),
    _t("stacker_full", CASH, P + "help", before="help_stacker_full"),
    # submit and receipt
    _t("submitted", P + "submit", P + "receipt", conditions="is_current", before="store_result"),
    _t("printed", P + "receipt", P + "help", conditions=["is_current", "is_flagged"], before="store_print"),
    _t("printed", P + "receipt", P + "done", conditions="is_current", before="store_print"),
    _t("timeout", P + "receipt", P + "help", conditions="is_flagged", before="receipt_timed_out"),
    _t("timeout", P + "receipt", P + "done", before="receipt_timed_out"),
    # the result screen: one optional rating per payment; a digit on the done screen (or on a
    # help screen with no payment left open) starts account entry with it (never swallowed)
    _t("rate", [P + "receipt", P + "done", P + "help"], None, conditions="can_rate", before="store_rating"),
    # the invoice (发票): asked once per payment; the answer comes back from a task
    _t("invoice", P + "done", None, conditions="can_invoice", before="request_invoice"),
    _t("invoice_answered", P + "done", None, conditions="is_current", before="store_invoice"),
    _t("digit", [P + "done", P + "help"], P + "account", conditions=["healthy", "nothing_open"],
       before="next_customer"),
    # a stuck note: one visit, one payment. The payment stays open on the help screen until
    # the note in the transport is settled (credited, handed back); `prepare` records what the
    # event settles before the guards look. Settled with cash counted: submitted, every note in
    # it; with nothing counted: the help screen again, with its own timeout
    *[
        t
        for trigger, settles in SETTLING
        for t in (
            _t(trigger, P + "help", P + "submit", conditions=["note_settled", "cash_unsubmitted"],
               **({"prepare": settles} if settles else {})),
            # (a credited note is counted: STACKED never settles a payment with nothing in it)
            *([_t(trigger, P + "help", P + "help", conditions="note_settled", before="jam_over")]
              if settles else []),
        )
    ],
    # while the note is stuck, keys wait with it; after timeouts.jam_wait, or when staff end the
    # payment (kioskctl payment end), the counted notes are submitted without it (a note that
    # lands later becomes a follow-up payment)
    *[_t(key, P + "help", None, conditions="waiting_for_note") for key in END_KEYS],
    _t("timeout", P + "help", P + "submit", conditions=["waiting_for_note", "cash_unsubmitted"],
       before="leave_note_behind"),
    _t("staff_end", P + "help", P + "submit", conditions=["waiting_for_note", "cash_unsubmitted"],
       before="leave_note_behind"),
    _t("staff_end", P + "help", "service_idle", conditions="waiting_for_note"),
    # the stuck note handed back once its payment went (credited, pending or refused): the result
    # tells the customer to take it
    *[_t(trigger, [P + "submit", P + "receipt", P + "done", P + "help"], None, conditions="after_jam",
         before="stuck_note_back") for trigger in ("note_returned", "note_rejected")],
    # the end screens: cash not yet submitted (validator lost, box full) is submitted before leaving
    _t("timeout", P + "help", P + "submit", conditions="cash_unsubmitted"),
    _t("timeout", [P + "help", P + "done"], "service_idle"),
    *[
        t
        for key in END_KEYS
        for t in (
            _t(key, P + "help", P + "submit", conditions="cash_unsubmitted"),
            _t(key, [P + "help", P + "done"], "service_idle"),
        )
    ],
    # self-service reprint: the account number, then a digit picks one of its payments of the
    # last 24 h; each payment once by the customer (a duplicate, audited), anything else is staff's
    _t("reprint", "service_idle", R + "account", conditions="can_reprint"),
    _t("digit", R + "account", R + "account", before="type_digit"),
    _t("backspace", R + "account", R + "account", before="erase_digit"),
    _t("confirm", R + "account", R + "lookup", conditions="account_valid"),
    _t("confirm", R + "account", R + "account", before="show_account_error"),
    _t("reprints_listed", R + "lookup", R + "choose", conditions=["is_current", "has_choices"],
       before="store_choices"),
    _t("reprints_listed", R + "lookup", R + "done", conditions="is_current", before="say_none"),
    _t("digit", R + "choose", R + "printing", conditions="choice_open", before="pick_reprint"),
    _t("digit", R + "choose", R + "done", conditions="choice_used", before="say_already"),
    _t("reprint_printed", R + "printing", R + "done", conditions="is_current", before="store_reprint_outcome"),
    _t("cancel", [R + "account", R + "lookup", R + "choose"], "service_idle"),
    _t("timeout", [R + "account", R + "choose", R + "done"], "service_idle"),
    _t("digit", R + "done", P + "account", conditions="healthy", before="next_customer"),
    *[_t(key, R + "done", "service_idle") for key in END_KEYS],
    # maintenance (dual custody, kioskd.custody.session drives these): login -> open -> count -> result;
    # the result (how it ended) keeps every key typed after a session from customer account entry
    _t("custody_start", ["service_idle", "unavailable", "maintenance_result"], "maintenance_login"),
    _t("custody_open", "maintenance_login", "maintenance_open"),
    _t("custody_count", "maintenance_open", "maintenance_count"),
    _t("custody_end", ["maintenance_login", "maintenance_open", "maintenance_count"], "maintenance_result"),
    _t("custody_done", "maintenance_result", "service_idle", conditions="healthy"),
    _t("custody_done", "maintenance_result", "unavailable"),
    # language and large text toggle anywhere without changing state
    _t("lang", "*", None, before="toggle_locale"),
    _t("large_text", "*", None, before="toggle_large_text"),
    # a note offered where the machine cannot take it (a restart, a race with a timeout)
    # is handed back, never left waiting in escrow
    _t("note_escrowed", "*", None, before="refuse_escrow"),
]

# the triggers a timed state's timer fires (states(): on_timeout); each carries its arming
TIMER_TRIGGERS = ("timeout", "no_progress")


def _from_its_own_timer(rule: dict[str, Any]) -> dict[str, Any]:
    """A timer's trigger acts only in the state entry that armed it (guard `timer_current`).

    Queued behind a state change (a key or a note that came as the time ran out), it would
    otherwise act in the next state, or in the next entry of the same one.
    """
    if rule["trigger"] not in TIMER_TRIGGERS:
        return rule
    guard = rule.get("conditions", [])
    return {**rule, "conditions": ["timer_current", *([guard] if isinstance(guard, str) else guard)]}


TRANSITIONS: list[dict[str, Any]] = [_from_its_own_timer(rule) for rule in _CHART]

TRIGGERS: tuple[str, ...] = tuple(dict.fromkeys(t["trigger"] for t in TRANSITIONS))
