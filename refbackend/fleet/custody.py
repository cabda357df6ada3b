"""Custody sessions as the kiosks' batches tell them: opened (expected), counted, ended."""

from __future__ import annotations

from typing import Any

from refbackend.fleet.cases import Case
from refbackend.store import BackendStore


def custody_sessions(store: BackendStore, kiosk: str | None = None, ended: tuple[str, str] | None = None,
                     last_only: bool = False) -> list[dict[str, Any]]:
    """Sessions that ended, oldest first: kiosk, session, opened, ended, outcome, box_id, since, expected, counted,
    counterfeit (fen the counterfeit notes would be worth), handover (the handover record's digest).

    `ended`: only those that ended in [start, end) (UTC text); `last_only`: each kiosk's last.
    """
    return store.custody_sessions(kiosk, ended, last_only)


def with_credited(session: dict[str, Any], books: dict[str, dict[str, Case]]) -> dict[str, Any]:
    """The session with what its box is known to hold (payments ended in (since, opened]: `credited`,
    `refused`; `other`: never received, claims its count found) and `difference` (counted minus all that)."""
    box = {k: session.pop(f"box_{k}") for k in ("credited", "refused", "never")}
    known: dict[str, int | None] = {"credited": None, "refused": None, "other": None}
    if session["opened"] is not None:
        found = sum(c.amount for c in books.get(session["kiosk"], {}).values()
                    if c.kind == "claim" and c.found and c.session == session["session"])
        known = {"credited": int(box["credited"]), "refused": int(box["refused"]), "other": int(box["never"]) + found}
    difference = None
    if known["credited"] is not None and session["counted"] is not None:
        difference = session["counted"] - known["credited"] - (known["refused"] or 0) - (known["other"] or 0)
    return {**session, **known, "difference": difference}
