"""`ledger.registers`: the async face of the count's records and the hall's registers, on the ledger's thread."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from kioskd.ledger.reconciliation import CountStore
from kioskd.ledger.registers import RegisterStore

T = TypeVar("T")
Runner = Callable[..., Awaitable[Any]]  # Ledger._run: fn, *args on the ledger thread


class RegisterBook:
    """Every call runs the store's method of the same name on the ledger's own thread."""

    def __init__(self, run: Runner, counts: CountStore, registers: RegisterStore) -> None:
        self._run, self._counts, self._registers = run, counts, registers

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        result: T = await self._run(functools.partial(fn, *args, **kwargs))
        return result

    # -- the count (kioskd.ledger.reconciliation) -----------------------------------------
    async def record_count(self, *args: Any) -> dict[str, Any]:
        """The reconciled count with its handover record, counterfeits and differences (one transaction)."""
        return await self._call(self._counts.record_count, *args)

    async def handover(self, session: str) -> dict[str, Any] | None:
        """A session's handover record and digest."""
        return await self._call(self._counts.handover, session)

    async def last_handovers(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest handover records."""
        return await self._call(self._counts.last_handovers, limit)

    async def counterfeits(self, session: str | None = None) -> list[dict[str, Any]]:
        """Counterfeit notes."""
        return await self._call(self._counts.counterfeits, session)

    async def set_photo(self, no: int, photo: str, by: dict[str, Any]) -> dict[str, Any]:
        """A counterfeit note's photo reference (once)."""
        return await self._call(self._counts.set_photo, no, photo, by)

    async def differences(self, **filters: Any) -> list[dict[str, Any]]:
        """Differences (status, session, since, until; a page: after, limit)."""
        return await self._call(self._counts.differences, **filters)

    async def open_figures(self) -> dict[str, int]:
        """Count and total (fen) of the open differences."""
        return await self._call(self._counts.open_figures)

    async def open_summary(self, since: str, until: str) -> dict[str, Any]:
        """The open differences now, bounded: count, total, per kind, oldest, the period's, digest."""
        return await self._call(self._counts.open_summary, since, until)

    async def append_close(self, report: dict[str, Any], since: str, until: str) -> tuple[int, str, dict[str, Any]]:
        """Append the daily close's chain entry with the open differences of that moment; (seq, hash, the summary)."""
        return await self._call(self._counts.append_close, report, since, until)

    async def difference(self, no: int) -> dict[str, Any] | None:
        """One difference."""
        return await self._call(self._counts.difference, no)

    async def resolve(self, *args: Any) -> int | None:
        """Resolve differences (two people); the vendor claim's number for vendor_claim."""
        return await self._call(self._counts.resolve, *args)

    async def claims(self, **filters: Any) -> list[dict[str, Any]]:
        """Vendor claims (since, until, status)."""
        return await self._call(self._counts.claims, **filters)

    async def claim(self, no: int) -> dict[str, Any] | None:
        """One vendor claim."""
        return await self._call(self._counts.claim, no)

    async def set_claim_status(self, *args: Any) -> dict[str, Any]:
        """Move a claim on."""
        return await self._call(self._counts.set_claim_status, *args)

    # -- registers (kioskd.ledger.registers) ------------------------------------------------
    async def key_copies(self) -> list[dict[str, Any]]:
        """Key copies and their holders."""
        return await self._call(self._registers.key_copies)

    async def hand_key(self, *args: Any) -> dict[str, Any]:
        """A key handed over (or issued)."""
        return await self._call(self._registers.hand_key, *args)

    async def key_handovers(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        """Key handovers in a window."""
        return await self._call(self._registers.key_handovers, since, until)

    async def keys_held(self, staff_id: str) -> set[str]:
        """The kinds of key a person holds."""
        return await self._call(self._registers.keys_held, staff_id)

    async def patrol(self, by: dict[str, Any], checks: dict[str, bool], note: str) -> dict[str, Any]:
        """A patrol check-in."""
        return await self._call(self._registers.patrol, by, checks, note)

    async def patrol_note(self, no: int, note: str, by: dict[str, Any]) -> dict[str, Any]:
        """A note added to a patrol afterwards (its own chain entry)."""
        return await self._call(self._registers.patrol_note, no, note, by)

    async def patrols(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        """Patrols in a window."""
        return await self._call(self._registers.patrols, since, until)

    async def last_patrol(self) -> str | None:
        """When the last patrol was."""
        return await self._call(self._registers.last_patrol)

    async def audit_list(self, since: str | None, until: str | None, kinds: tuple[str, ...] = (),
                         person: str | None = None, limit: int = 5000, before: int | None = None,
                         after: int | None = None) -> tuple[list[dict[str, Any]], bool, bool]:
        """The work log: a page of audit entries filtered, and whether older and newer ones match."""
        return await self._call(self._registers.audit_list, since, until, kinds, person, limit, before, after)

    async def box_changes(self, since: str, until: str) -> list[dict[str, Any]]:
        """Boxes emptied in a window."""
        return await self._call(self._registers.box_changes, since, until)

    async def records_after(self, after: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Register batch records after an id."""
        return await self._call(self._registers.records_after, after, limit)
