"""The hall's registers: key register (钥匙交接), patrol log (巡检), the work log's reading of the
audit chain, and the register records the batches carry; ledger thread only."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from kioskd.ledger.audit import append_entry, kind_indexed
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.reconciliation import add_register_record
from kioskd.ledger.records import utc_now

KEYS = ("terminal", "box")
CHECKS = ("screen_ok", "paper_ok", "seal_ok")
PATROL_NOTE = "patrol_note"  # the chain entry of a note added to a patrol afterwards: {patrol, note, by, ...}


class RegisterStore:
    """Keys, patrols, the work log and the register batch feed on one sqlite-utils Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- keys -----------------------------------------------------------------------------
    def key_copies(self) -> list[dict[str, Any]]:
        """Every copy of a key and who holds it now."""
        return list(self.db.query(
            "SELECT k.id, k.key, k.holder, s.name AS holder_name, k.since FROM key_copies k"
            " LEFT JOIN staff s ON s.id = k.holder ORDER BY k.key, k.id"))

    def hand_key(self, copy: str, key: str | None, from_id: str | None, to_id: str, reason: str,
                 by: dict[str, Any], confirmed: list[str]) -> dict[str, Any]:
        """A key copy handed from its holder (or issued, `from_id` None, with `key` its kind) to `to_id`."""
        now = utc_now()
        with self.db.atomic():
            found = next(iter(self.db.query("SELECT * FROM key_copies WHERE id = ?", (copy,))), None)
            if found is None:
                if from_id is not None or key not in KEYS:
                    raise LedgerError(f"no key copy {copy!r}: issue it first (terminal or box key)")
                self.db.execute("INSERT INTO key_copies (id, key, holder, since) VALUES (?, ?, ?, ?)",
                                (copy, key, to_id, now))
                kind = key
            else:
                if from_id != found["holder"]:
                    raise LedgerError(f"key copy {copy} is held by {found['holder']}, not {from_id}")
                kind = found["key"]
                self.db.execute("UPDATE key_copies SET holder = ?, since = ? WHERE id = ?", (to_id, now, copy))
            self.db.execute("INSERT INTO key_handovers (copy, key, from_id, to_id, reason, at, by)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?)", (copy, kind, from_id, to_id, reason, now, by["by"]))
            record = {"copy": copy, "key": kind, "from": from_id, "to": to_id, "reason": reason,
                      "confirmed": confirmed, **by}
            add_register_record(self.db, "key", record, "key_handover")
        return {**record, "at": now}

    def key_handovers(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        """Key handovers in [since, until), oldest first, with the names of both people."""
        return list(self.db.query(
            "SELECT h.*, f.name AS from_name, t.name AS to_name FROM key_handovers h"
            " LEFT JOIN staff f ON f.id = h.from_id LEFT JOIN staff t ON t.id = h.to_id"
            " WHERE h.at >= ? AND h.at < ? ORDER BY h.id", (since or "", until or "~")))

    def keys_held(self, staff_id: str) -> set[str]:
        """The kinds of key (terminal, box) a person holds a copy of."""
        return {r["key"] for r in self.db.query("SELECT key FROM key_copies WHERE holder = ?", (staff_id,))}

    # -- patrols --------------------------------------------------------------------------
    def patrol(self, by: dict[str, Any], checks: dict[str, bool], note: str) -> dict[str, Any]:
        """A patrol check-in with its checks and note."""
        now = utc_now()
        with self.db.atomic():
            cur = self.db.execute(
                "INSERT INTO patrols (at, by, by_name, via, screen_ok, paper_ok, seal_ok, note)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (now, by["by"], by.get("by_name", ""), by.get("via", ""), *(int(checks[c]) for c in CHECKS), note))
            record = {"no": int(cur.lastrowid or 0), **{c: bool(checks[c]) for c in CHECKS}, "note": note, **by}
            add_register_record(self.db, "patrol", record)
        return {**record, "at": now}

    def patrol_note(self, no: int, note: str, by: dict[str, Any]) -> dict[str, Any]:
        """A note added to patrol `no` afterwards: its own chain entry, the patrol's row never changed."""
        with self.db.atomic():
            if next(iter(self.db.query("SELECT id FROM patrols WHERE id = ?", (no,))), None) is None:
                raise LedgerError(f"no patrol {no}")
            seq, _ = append_entry(self.db.conn, PATROL_NOTE, {"patrol": no, "note": note, **by})
            at = self.db.execute("SELECT at FROM audit WHERE seq = ?", (seq,)).fetchone()[0]
        return {"patrol": no, "note": note, **by, "seq": seq, "at": at}

    def patrols(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        """Patrols in [since, until), oldest first, each with the notes added to it later (`notes`)."""
        rows = [{**r, **{c: bool(r[c]) for c in CHECKS}, "notes": []} for r in self.db.query(
            "SELECT * FROM patrols WHERE at >= ? AND at < ? ORDER BY id", (since or "", until or "~"))]
        by_no = {r["id"]: r for r in rows}
        if rows:
            for seq, at, data in self.db.execute(
                    "SELECT seq, at, data FROM audit WHERE kind = ?" + kind_indexed() +
                    " AND json_extract(data, '$.patrol') BETWEEN ? AND ?"
                    " ORDER BY seq", (PATROL_NOTE, rows[0]["id"], rows[-1]["id"])):
                d = json.loads(data)
                if d["patrol"] in by_no:
                    by_no[d["patrol"]]["notes"].append({"seq": seq, "at": at, "note": d["note"], "by": d.get("by"),
                                                        "by_name": d.get("by_name") or ""})
        return rows

    def last_patrol(self) -> str | None:
        """When the last patrol checked in, or None."""
        row = next(iter(self.db.query("SELECT MAX(at) AS at FROM patrols")), None)
        return None if row is None else row["at"]

    # -- the work log: the audit chain, read ----------------------------------------------------
    def audit_list(self, since: str | None, until: str | None, kinds: tuple[str, ...], person: str | None,
                   limit: int, before: int | None = None, after: int | None = None,
                   ) -> tuple[list[dict[str, Any]], bool, bool]:
        """One page of audit entries in [since, until) of `kinds` (all when empty) by `person`, oldest
        first, and whether older and newer ones match: the newest `limit` below seq `before`, else the
        oldest `limit` above seq `after` (0: from the first)."""
        where, args = _audit_filter(since, until, kinds, person)
        condition = " AND ".join(where)
        if before is not None:
            rows = list(self.db.query(f"SELECT seq, at, kind, data, hash FROM audit WHERE {condition} AND seq < ?"
                                      " ORDER BY seq DESC LIMIT ?", (*args, before, limit + 1)))[::-1]
            older, newer = len(rows) > limit, self._audit_any(condition, args, "seq >= ?", before)
            rows = rows[-limit:]
        else:
            start = after or 0
            rows = list(self.db.query(f"SELECT seq, at, kind, data, hash FROM audit WHERE {condition} AND seq > ?"
                                      " ORDER BY seq LIMIT ?", (*args, start, limit + 1)))
            older, newer = self._audit_any(condition, args, "seq <= ?", start), len(rows) > limit
            rows = rows[:limit]
        return [{**r, "data": json.loads(r["data"])} for r in rows], older, newer

    def _audit_any(self, condition: str, args: list[Any], beyond: str, seq: int) -> bool:
        """Whether an audit entry matching `condition` lies beyond the page (`beyond`: "seq < ?", ...)."""
        return bool(list(self.db.query(f"SELECT 1 FROM audit WHERE {condition} AND {beyond} LIMIT 1", (*args, seq))))

    # -- box emptied ------------------------------------------------------------------------
    def box_changes(self, since: str, until: str) -> list[dict[str, Any]]:
        """Cash boxes changed (emptied by a custody session) in [since, until)."""
        return list(self.db.query("SELECT box_id, at FROM box_changes WHERE at >= ? AND at < ? ORDER BY id",
                                  (since, until)))

    # -- batches ----------------------------------------------------------------------------
    def records_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Register batch records after id `after`: {kind, id, at, ...}."""
        return [{**json.loads(r["data"]), "kind": r["kind"], "id": r["id"], "at": r["at"]} for r in self.db.query(
            "SELECT id, kind, at, data FROM register_records WHERE id > ? ORDER BY id LIMIT ?", (after, limit))]


def _audit_filter(since: str | None, until: str | None, kinds: tuple[str, ...],
                  person: str | None) -> tuple[list[str], list[Any]]:
    """The work log's filter: SQL conditions and their arguments."""
    where, args = ["at >= ?", "at < ?"], [since or "", until or "~"]
    if kinds:
        where.append(f"kind IN ({', '.join('?' * len(kinds))}){kind_indexed(kinds)}")
        args.extend(kinds)
    if person:
        # the person acting, confirming or approving, wherever the entry names them
        # (a count's confirmed_by, a key handover's from and confirmed included)
        where.append("(json_extract(data, '$.by') = ? OR json_extract(data, '$.tech1') = ?"
                     " OR json_extract(data, '$.tech2') = ? OR json_extract(data, '$.staff') = ?"
                     " OR json_extract(data, '$.approved_by') = ? OR json_extract(data, '$.to') = ?"
                     " OR json_extract(data, '$.from') = ?"
                     " OR EXISTS (SELECT 1 FROM json_each(data, '$.confirmed_by') WHERE value = ?)"
                     " OR EXISTS (SELECT 1 FROM json_each(data, '$.confirmed') WHERE value = ?))")
        args.extend([person] * 9)
    return where, args
