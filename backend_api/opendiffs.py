"""A daily close's open count differences checked against the difference entries before it (both sides).

The close signs a bounded summary of the differences open at its place in the chain, not the list
(docs/spec/registers.md, "Open differences in the close"). Replaying the chain's
`difference_opened` and `difference_resolved` entries up to the close gives the list it summed:
its count, total, kinds, highest number and digest must be those signed, and every difference it
lists must be open there with its kind and value. kioskd's `audit verify` and the reference
backend's `closes` command both replay with this.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from backend_api.jcs import canonicalize

OPENED, RESOLVED, CLOSE = "difference_opened", "difference_resolved", "daily_close"
KINDS = (OPENED, RESOLVED, CLOSE)  # the audit entries a replay reads
DIFFERENCE_KINDS = frozenset({"over", "short", "counterfeit"})


def _row_text(row: tuple[Any, ...]) -> bytes:
    """A row's RFC 8785 form: written out for the usual (int, kind, int), whose form is plain."""
    no, kind, value = row
    if type(no) is int and type(value) is int and kind in DIFFERENCE_KINDS and max(abs(no), abs(value)) < 2**53:
        return f'[{no},"{kind}",{value}]'.encode()
    return canonicalize(list(row))


def list_digest(rows: Iterable[tuple[Any, ...]]) -> str:
    """SHA-256 (hex) of the RFC 8785 form of [[no, kind, value], ...], streamed row by row."""
    digest = hashlib.sha256(b"[")
    for i, row in enumerate(rows):
        digest.update((b"," if i else b"") + _row_text(row))
    digest.update(b"]")
    return digest.hexdigest()


class OpenReplay:
    """The open differences as the chain's entries so far leave them."""

    def __init__(self) -> None:
        self.still_open: dict[int, tuple[Any, Any]] = {}
        self.last = 0
        self._expected: dict[str, Any] | None = None  # until the next difference entry: closes in a row

    def entry(self, kind: str, data: Any) -> str | None:
        """Take one entry (of KINDS) in chain order: what is wrong with it, or None.

        A close is checked against the entries before it; one signed before the summary (its
        `open` a list of every difference) is left as it was.
        """
        if not isinstance(data, dict):
            return "not an object"
        if kind == CLOSE:
            registers = data.get("registers")
            signed = registers.get("open") if isinstance(registers, dict) else None
            return None if isinstance(signed, list) else self.mismatch(signed)
        no = data.get("no")
        if not isinstance(no, int):
            return "names no difference number"
        self._expected = None
        if kind == OPENED:
            self.still_open[no] = (data.get("type"), data.get("value"))
            self.last = max(self.last, no)
        else:
            self.still_open.pop(no, None)
        return None

    def expected(self) -> dict[str, Any]:
        """What a close signed now must say: count, total, by_kind, last, digest."""
        if self._expected is not None:
            return self._expected
        by_kind: dict[str, dict[str, int]] = {}
        for kind, value in self.still_open.values():
            fig = by_kind.setdefault(kind, {"count": 0, "total": 0})
            fig["count"] += 1
            fig["total"] += value
        self._expected = {
            "count": len(self.still_open), "total": sum(v for _, v in self.still_open.values()),
            "by_kind": {k: by_kind[k] for k in sorted(by_kind)}, "last": self.last,
            "digest": list_digest((no, *self.still_open[no]) for no in sorted(self.still_open))}
        return self._expected

    def mismatch(self, signed: Any) -> str | None:
        """What in a close's signed summary disagrees with the replayed list; None when all agree."""
        found = self.disagreement(signed)
        return None if found is None else self.mismatch_text(found)

    @staticmethod
    def mismatch_text(found: dict[str, Any]) -> str:
        """A disagreement() in English, as `closes` and `audit verify` say it."""
        if found["field"] == "form":
            return "its open differences are neither a list nor a summary"
        if found["field"] == "listed":
            return f"it lists difference {found['signed']!r}, not open so"
        return f"its open differences' {found['field']} is {found['signed']!r}, the chain before it gives {found['chain']!r}"

    def disagreement(self, signed: Any) -> dict[str, Any] | None:
        """The first thing a close's signed summary says otherwise than the replay, as `field` (count, total,
        by_kind, last, digest; listed: a difference it lists that is not open so; form: no summary), what the
        close `signed` (for listed: the difference's number) and what the `chain` gives; None when all agree."""
        if not isinstance(signed, dict):
            return {"field": "form", "signed": None, "chain": None}
        for key, value in self.expected().items():
            if signed.get(key) != value:
                return {"field": key, "signed": signed.get(key), "chain": value}
        earlier, period = signed.get("earlier"), signed.get("period")
        shown = [*(earlier.get("oldest", []) if isinstance(earlier, dict) else []),
                 *(period.get("listed", []) if isinstance(period, dict) else [])]
        for row in shown:
            no = row.get("no") if isinstance(row, dict) else None
            if not isinstance(no, int) or self.still_open.get(no) != (row.get("kind"), row.get("value")):
                return {"field": "listed", "signed": no, "chain": None}
        return None

    def close_disagreement(self, data: Any) -> dict[str, Any] | None:
        """disagreement() of a daily close's data; None for a close signed before the summary (a list)."""
        registers = data.get("registers") if isinstance(data, dict) else None
        signed = registers.get("open") if isinstance(registers, dict) else None
        return None if isinstance(signed, list) else self.disagreement(signed)
