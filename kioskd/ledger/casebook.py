"""`ledger.cases`: the async face of the case tables (kioskd.ledger.cases), on the ledger's thread."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from kioskd.ledger import casefigures
from kioskd.ledger.cases import CaseRecord, CaseStore, OutcomeRecord

T = TypeVar("T")
Runner = Callable[..., Awaitable[Any]]  # Ledger._run: fn, *args on the ledger thread


class CaseBook:
    """Cases, steps, outcomes and their figures; every call runs on the ledger's own thread."""

    def __init__(self, run: Runner, store: CaseStore) -> None:
        self._run, self._store = run, store

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        result: T = await self._run(functools.partial(fn, *args, **kwargs))
        return result

    # -- writes ---------------------------------------------------------------------
    async def open(self, **fields: Any) -> CaseRecord:
        """A new case (kind, txn, account, amount, claimed_at, phone, by, case_id)."""
        return await self._call(self._store.open, **fields)

    async def note(self, case_id: str, text: str, by: dict[str, Any]) -> None:
        """A note on a case."""
        await self._call(self._store.note, case_id, text, by)

    async def request(self, case_id: str, outcome: dict[str, Any], by: dict[str, Any], **options: Any) -> OutcomeRecord:
        """Record an outcome (see CaseStore.request)."""
        return await self._call(self._store.request, case_id, outcome, by, **options)

    async def answer(self, outcome_id: str, state: str, **fields: Any) -> tuple[CaseRecord, OutcomeRecord]:
        """The backend's definite answer to a request (see CaseStore.answer)."""
        return await self._call(self._store.answer, outcome_id, state, **fields)

    async def close(self, case_id: str, status: str, reason: str, by: dict[str, Any]) -> CaseRecord:
        """Close without a money outcome."""
        return await self._call(self._store.close, case_id, status, reason, by)

    async def link_count(self, case_id: str, session: str, box_id: str | None, found: bool) -> CaseRecord:
        """A claim checked against a count."""
        return await self._call(self._store.link_count, case_id, session, box_id, found)

    async def erase_contacts(self, closed_before: str) -> list[int]:
        """Erase phone numbers kept past their retention; the case numbers."""
        return await self._call(self._store.erase_contacts, closed_before)

    # -- reads ----------------------------------------------------------------------
    async def case(self, ref: int | str) -> CaseRecord | None:
        """A case by number or id."""
        return await self._call(self._store.case, ref)

    async def cases(self, statuses: tuple[str, ...] | None = None) -> list[CaseRecord]:
        """Cases, newest first."""
        return await self._call(self._store.cases, statuses)

    async def cases_of(self, txn: str) -> list[CaseRecord]:
        """The cases about a payment."""
        return await self._call(self._store.cases_of, txn)

    async def steps(self, case_id: str) -> list[dict[str, Any]]:
        """A case's steps."""
        return await self._call(self._store.steps, case_id)

    async def outcomes(self, case_id: str) -> list[OutcomeRecord]:
        """A case's outcomes."""
        return await self._call(self._store.outcomes, case_id)

    async def outcome(self, outcome_id: str) -> OutcomeRecord | None:
        """One outcome."""
        return await self._call(self._store.outcome, outcome_id)

    async def live_outcome(self, cash: str) -> OutcomeRecord | None:
        """The outcome that stands or waits for a cash."""
        return await self._call(self._store.live_outcome, cash)

    async def held_cash(self) -> set[str]:
        """Payments a re-credit took over (never resubmitted)."""
        return await self._call(self._store.held_cash)

    async def unowned(self, ended_before: str) -> list[dict[str, Any]]:
        """Pending or flagged payments without a case, ended before a time."""
        return await self._call(self._store.unowned, ended_before)

    async def steps_after(self, step_id: int, limit: int = 1000) -> list[dict[str, Any]]:
        """`case` batch records after a step id."""
        return await self._call(self._store.steps_after, step_id, limit)

    async def audit_of(self, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
        """Audit entries of some kinds."""
        return await self._call(self._store.audit_of, kinds)

    async def audit_between(self, since: str, until: str, words: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Audit entries of a time window, and those mentioning words."""
        return await self._call(self._store.audit_between, since, until, words)

    async def claims_for_count(self, session: str) -> list[dict[str, Any]]:
        """The claims a custody count was checked for (the registers' link to cases)."""
        return await self._call(self._store.claims_for_count, session)

    async def day_figures(self, since: str, until: str) -> dict[str, Any]:
        """The day's case figures and cash balance."""
        return await self._call(casefigures.day_figures, self._store.db, since, until)

    async def unresolved_money(self) -> dict[str, dict[str, int]]:
        """Pending and flagged money no outcome settled."""
        return await self._call(casefigures.unresolved_money, self._store.db)
