"""Custody sessions as the kiosks' batches tell them: opened (expected), counted, ended."""

from __future__ import annotations

from typing import Any

from refbackend.fleet.cases import Case, box_known
from refbackend.store import BackendStore

CUSTODY_TYPES = ("custody_open", "custody_count", "custody_end")


def custody_sessions(store: BackendStore, kiosk: str | None = None) -> list[dict[str, Any]]:
    """Sessions that ended, oldest first: kiosk, session, opened, ended, outcome, box_id, since, expected, counted."""
    sessions: dict[tuple[str, str], dict[str, Any]] = {}
    for record in store.audit_records(CUSTODY_TYPES, kiosk):
        data = record.get("data") or {}
        sid = data.get("session")
        if not isinstance(sid, str):
            continue
        s = sessions.setdefault((record["kiosk"], sid), {
            "kiosk": record["kiosk"], "session": sid, "opened": None, "ended": None, "outcome": None,
            "box_id": None, "since": None, "expected": None, "counted": None})
        if record["type"] == "custody_open":
            s.update(opened=record["at"], box_id=data.get("box_id"), since=data.get("since"),
                     expected=_fen(data.get("counts")))
        elif record["type"] == "custody_count":
            rows = data.get("rows") or []
            s["counted"] = sum(int(r["value"]) * int(r["counted"]) for r in rows if isinstance(r, dict))
        else:
            s.update(ended=record["at"], outcome=data.get("outcome"))
    ended = [s for s in sessions.values() if s["ended"] is not None]
    return sorted(ended, key=lambda s: (s["ended"], s["kiosk"]))


def _fen(counts: object) -> int | None:
    if not isinstance(counts, dict):
        return None
    return sum(int(value) * int(n) for value, n in counts.items())


def with_credited(store: BackendStore, session: dict[str, Any], books: dict[str, dict[str, Case]]) -> dict[str, Any]:
    """The session with what its box is known to hold (payments ended in (since, opened]: `credited`,
    `refused`; `other`: never received, claims its count found) and `difference` (counted minus all that)."""
    known = {"credited": None, "refused": None, "other": None}
    if session["opened"] is not None:
        known = box_known(store, session["kiosk"], session["since"], session["opened"], session["session"],
                          books.get(session["kiosk"], {}))
    difference = None
    if known["credited"] is not None and session["counted"] is not None:
        difference = session["counted"] - known["credited"] - known["refused"] - known["other"]
    return {**session, **known, "difference": difference}
