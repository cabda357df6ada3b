"""The model's side of the self-service reprint (补打凭条): account, the recent payments, one copy.

The customer types an account number, sees that account's payments of the last 24 hours
(time, amount, serial; no names) and picks one by its digit; each payment may be reprinted
once this way, marked as a duplicate and audited (kioskd). Anything else goes to staff.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict
from typing import Any

from statemachine.ports import ReprintChoice, Reprints

log = logging.getLogger("kioskd.machine")


class ReprintMixin:
    """Mixed into KioskModel: the service_reprint states."""

    # the host's (KioskModel): declared so the calls below are checked
    trigger: Callable[..., Awaitable[bool]]
    spawn: Callable[[Coroutine[Any, Any, Any], str], None]
    state: str
    account: str
    locale: str
    gen: int
    reprints: Reprints | None = None

    def _reset_reprint(self) -> None:
        self.choices: list[ReprintChoice] = []
        self.reprint_outcome: str | None = None  # printed, already, refused, failed, none
        self.reprint_seq: int | None = None
        self._reprint_txn: str | None = None

    def reprint_snapshot(self) -> dict[str, Any]:
        """The `reprint` key of the screen snapshot (None outside the reprint states)."""
        if not self.state.startswith("service_reprint"):
            return {"reprint": None}
        return {"reprint": {
            "choices": [{**asdict(c), "n": n} for n, c in enumerate(self.choices, 1)],
            "outcome": self.reprint_outcome, "seq": self.reprint_seq,
        }}

    def can_reprint(self, *_: Any) -> bool:
        """This kiosk offers self-service reprints."""
        return self.reprints is not None

    def start_reprint_lookup(self, *_: Any) -> None:
        """List the account's recent payments, in a task."""
        assert self.reprints is not None
        self.gen += 1
        gen, account, reprints = self.gen, self.account, self.reprints

        async def listing() -> None:
            try:
                choices = await reprints.recent_payments(account)
            except Exception:  # the journal is unwell: staff can still reprint
                log.exception("reprint list for %s failed", account)
                choices = []
            await self.trigger("reprints_listed", gen, choices)

        self.spawn(listing(), "reprint-list")

    def has_choices(self, gen: int = -1, choices: list[ReprintChoice] | None = None, *_: Any) -> bool:
        """The account has payments of the last 24 hours."""
        return bool(choices)

    def store_choices(self, gen: int, choices: list[ReprintChoice], *_: Any) -> None:
        """Keep the list the customer chooses from."""
        self.choices = list(choices)

    def say_none(self, *_: Any) -> None:
        """No payment of this account in the last 24 hours: staff can help."""
        self.reprint_outcome = "none"

    def _chosen(self, digit: str) -> ReprintChoice | None:
        if digit.isdigit() and 1 <= int(digit) <= len(self.choices):
            return self.choices[int(digit) - 1]
        return None

    def choice_open(self, digit: str = "", *_: Any) -> bool:
        """The digit names a listed payment not reprinted by the customer yet."""
        chosen = self._chosen(digit)
        return chosen is not None and not chosen.used

    def choice_used(self, digit: str = "", *_: Any) -> bool:
        """The digit names a listed payment the customer already reprinted."""
        chosen = self._chosen(digit)
        return chosen is not None and chosen.used

    def pick_reprint(self, digit: str, *_: Any) -> None:
        """Remember which payment to print."""
        chosen = self._chosen(digit)
        assert chosen is not None
        self.reprint_seq, self._reprint_txn = chosen.seq, chosen.txn

    def say_already(self, digit: str, *_: Any) -> None:
        """That payment's one customer copy was printed before: staff can print more."""
        chosen = self._chosen(digit)
        self.reprint_seq = chosen.seq if chosen else None
        self.reprint_outcome = "already"

    def start_reprint(self, *_: Any) -> None:
        """Print the chosen payment's copy, in a task."""
        assert self.reprints is not None
        self.gen += 1
        gen, txn, locale, reprints = self.gen, self._reprint_txn, self.locale, self.reprints
        assert txn is not None

        async def printing() -> None:
            try:
                outcome = await reprints.for_customer(txn, locale)
            except Exception:
                log.exception("self-service reprint of %s failed", txn)
                outcome = "failed"
            await self.trigger("reprint_printed", gen, outcome)

        self.spawn(printing(), "reprint")

    def store_reprint_outcome(self, gen: int, outcome: str, *_: Any) -> None:
        """What became of the copy: the done screen says it."""
        self.reprint_outcome = outcome
