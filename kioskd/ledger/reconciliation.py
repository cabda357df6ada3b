"""What a cash-box count leaves behind: the handover record, counterfeit notes, differences and
vendor claims; ledger thread only.

Each write is one transaction: the rows, their `register_records` (what the batches carry) and
their chain entries (kioskd.ledger.chain.record), so none exists without the others;
kioskd.ledger.registercheck checks the tables against them at start-up. The schema (migration 12) refuses a
difference resolved twice, a resolution approved by the one who proposed it, an outcome that
does not fit the difference, and a claim whose status goes backwards.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlite_utils import Database

from backend_api.jcs import canonicalize
from kioskd.ledger import opendiffs
from kioskd.ledger.audit import canonical_json
from kioskd.ledger.chain import record
from kioskd.ledger.countdoubts import explaining_doubts
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import utc_now

DIFFERENCE_COLUMNS = ("id", "session", "box_id", "kind", "value", "counterfeit", "at", "status", "outcome",
                      "explanation", "ref", "claim", "by", "approved_by", "resolved", "doubt")
CLAIM_STATUSES = ("claimed", "compensated", "rejected", "bad_debt")


def record_digest(record: dict[str, Any]) -> str:
    """SHA-256 (hex) of a record's RFC 8785 (JCS) form: what the backend recomputes from the batch."""
    canonical_json(record)  # floats refused, as everywhere money is near
    return hashlib.sha256(canonicalize(record)).hexdigest()


def add_register_record(db: Database, kind: str, data: dict[str, Any], audit_kind: str | None = None) -> int:
    """One batch record of a register and its chain entry (call inside the write's transaction)."""
    seq, _ = record(db, audit_kind or kind, data)
    cur = db.execute("INSERT INTO register_records (kind, at, data, seq) VALUES (?, ?, ?, ?)",
                     (kind, utc_now(), canonical_json(data), seq))
    return int(cur.lastrowid or 0)


class CountStore:
    """Handover records, counterfeits, differences and claims on one sqlite-utils Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the count ------------------------------------------------------------------------
    def record_count(self, session: str, box_id: str, count: dict[str, Any], handover: dict[str, Any],
                     counterfeits: list[dict[str, Any]], differences: list[dict[str, Any]]) -> dict[str, Any]:
        """The reconciled count: its audit entry, the handover record, counterfeits and differences, at once.

        `differences` name their counterfeit by its index in `counterfeits` (`counterfeit`: int); an
        over note an in-doubt note explains names it, and the note is settled (countdoubts.py).
        """
        digest = record_digest(handover)
        now = utc_now()
        with self.db.atomic():
            seq, _ = record(self.db, "custody_count", count)
            self.db.execute("INSERT INTO handovers (session, box_id, at, digest, record) VALUES (?, ?, ?, ?, ?)",
                            (session, box_id, now, digest, canonical_json(handover)))
            add_register_record(self.db, "handover",
                                {"session": session, "box_id": box_id, "digest": digest, "record": handover})
            ids = []
            for note in counterfeits:
                cur = self.db.execute("INSERT INTO counterfeits (session, box_id, value, serial, at) VALUES (?, ?, ?, ?, ?)",
                                      (session, box_id, note["value"], note["serial"], now))
                ids.append(int(cur.lastrowid or 0))
                add_register_record(self.db, "counterfeit", {
                    "no": ids[-1], "session": session, "box_id": box_id, "value": note["value"],
                    "serial": note["serial"], "photo": None})
            nos = []
            doubts = iter(explaining_doubts(self.db, session, box_id,
                                            [d["value"] for d in differences if d["kind"] == "over"]))
            for diff in differences:
                cf = None if diff.get("counterfeit") is None else ids[diff["counterfeit"]]
                doubt = next(doubts) if diff["kind"] == "over" else None
                cur = self.db.execute(
                    "INSERT INTO differences (session, box_id, kind, value, counterfeit, at, status, doubt)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
                    (session, box_id, diff["kind"], diff["value"], cf, now, doubt))
                nos.append(int(cur.lastrowid or 0))
                add_register_record(self.db, "difference", self._difference_record(nos[-1]),
                                    "difference_opened")
        return {"digest": digest, "audit": seq, "counterfeits": ids, "differences": nos}

    def handover(self, session: str) -> dict[str, Any] | None:
        """A session's handover record and digest, or None."""
        row = next(iter(self.db.query("SELECT * FROM handovers WHERE session = ?", (session,))), None)
        return None if row is None else {**row, "record": json.loads(row["record"])}

    def last_handovers(self, limit: int) -> list[dict[str, Any]]:
        """The newest handover records (session, box, at, digest)."""
        return list(self.db.query("SELECT session, box_id, at, digest FROM handovers ORDER BY at DESC LIMIT ?",
                                  (limit,)))

    # -- counterfeits ---------------------------------------------------------------------
    def counterfeits(self, session: str | None = None) -> list[dict[str, Any]]:
        """Counterfeit notes (of one session), oldest first."""
        where, args = ("WHERE session = ?", (session,)) if session else ("", ())
        return list(self.db.query(f"SELECT * FROM counterfeits {where} ORDER BY id", args))

    def set_photo(self, no: int, photo: str, by: dict[str, Any]) -> dict[str, Any]:
        """Add the photo reference of a counterfeit note (once)."""
        with self.db.atomic():
            self.db.execute("UPDATE counterfeits SET photo = ? WHERE id = ?", (photo, no))
            row = next(iter(self.db.query("SELECT * FROM counterfeits WHERE id = ?", (no,))), None)
            if row is None:
                raise LedgerError(f"no counterfeit note {no}")
            add_register_record(self.db, "counterfeit", {
                "no": no, "session": row["session"], "box_id": row["box_id"], "value": row["value"],
                "serial": row["serial"], "photo": photo, **by}, "counterfeit_photo")
        return row

    # -- differences ----------------------------------------------------------------------
    def differences(self, status: str | None = None, session: str | None = None,
                    since: str | None = None, until: str | None = None, after: int | None = None,
                    limit: int | None = None) -> list[dict[str, Any]]:
        """Differences, oldest first, filtered by status, session and [since, until) of their count;
        a page of `limit` numbered above `after`."""
        where, args = ["1"], []
        for column, op, value in (("status", "=", status), ("session", "=", session), ("at", ">=", since),
                                  ("at", "<", until), ("id", ">", after)):
            if value is not None:
                where.append(f"d.{column} {op} ?")
                args.append(value)
        page = "" if limit is None else f" LIMIT {int(limit)}"
        return list(self.db.query(
            "SELECT d.*, c.serial FROM differences d LEFT JOIN counterfeits c ON c.id = d.counterfeit"
            f" WHERE {' AND '.join(where)} ORDER BY d.id{page}", args))

    def open_figures(self) -> dict[str, int]:
        """Count and total (fen) of the open differences."""
        return opendiffs.open_figures(self.db)

    def open_summary(self, since: str, until: str) -> dict[str, Any]:
        """The open differences as a report states them (kioskd.ledger.opendiffs)."""
        return opendiffs.open_summary(self.db, since, until)

    def append_close(self, report: dict[str, Any], since: str, until: str) -> tuple[int, str, dict[str, Any]]:
        """The daily close's chain entry with the open differences read in its transaction."""
        return opendiffs.append_close(self.db, report, since, until)

    def difference(self, no: int) -> dict[str, Any] | None:
        """One difference by its number."""
        return next(iter(self.db.query(
            "SELECT d.*, c.serial FROM differences d LEFT JOIN counterfeits c ON c.id = d.counterfeit"
            " WHERE d.id = ?", (no,))), None)

    def resolve(self, nos: list[int], outcome: str, explanation: str, ref: str | None,
                by: dict[str, Any], approved_by: dict[str, Any]) -> int | None:
        """Resolve open differences of one session with one outcome, proposed by `by` and approved
        by `approved_by`; a vendor claim covering them is created for `vendor_claim`. Its number."""
        now = utc_now()
        with self.db.atomic():
            rows = [self.difference(no) for no in nos]
            missing = [no for no, row in zip(nos, rows, strict=True) if row is None]
            if missing:
                raise LedgerError(f"no difference {missing[0]}")
            sessions = {row["session"] for row in rows if row}
            if len(sessions) != 1:
                raise LedgerError("differences resolved together are of one count")
            claim = None
            if outcome == "vendor_claim":
                first = rows[0]
                assert first is not None
                cur = self.db.execute(
                    "INSERT INTO vendor_claims (session, box_id, amount, notes, created, by, status)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'claimed')",
                    (first["session"], first["box_id"], sum(r["value"] for r in rows if r), len(rows), now, by["by"]))
                claim = int(cur.lastrowid or 0)
            for no in nos:
                self.db.execute(
                    "UPDATE differences SET status = 'resolved', outcome = ?, explanation = ?, ref = ?, claim = ?,"
                    " by = ?, approved_by = ?, resolved = ? WHERE id = ?",
                    (outcome, explanation, ref, claim, by["by"], approved_by["by"], now, no))
                add_register_record(self.db, "difference",
                                    {**self._difference_record(no), "by_name": by.get("by_name"),
                                     "approved_by_name": approved_by.get("by_name")}, "difference_resolved")
            if claim is not None:
                add_register_record(self.db, "claim", {**self._claim_record(claim), **by},
                                    "claim_created")
        return claim

    def _difference_record(self, no: int) -> dict[str, Any]:
        row = self.difference(no)
        assert row is not None
        return {"no": no, "session": row["session"], "box_id": row["box_id"], "type": row["kind"],
                "value": row["value"], "serial": row["serial"], "status": row["status"], "outcome": row["outcome"],
                "explanation": row["explanation"], "ref": row["ref"], "claim": row["claim"], "by": row["by"],
                "approved_by": row["approved_by"], **({"doubt": row["doubt"]} if row["doubt"] is not None else {})}

    # -- vendor claims --------------------------------------------------------------------
    def claims(self, since: str | None = None, until: str | None = None,
               status: str | None = None) -> list[dict[str, Any]]:
        """Vendor claims created in [since, until) (with `status`), oldest first, with their differences."""
        where, args = ["1"], []
        for column, op, value in (("created", ">=", since), ("created", "<", until), ("status", "=", status)):
            if value is not None:
                where.append(f"{column} {op} ?")
                args.append(value)
        rows = list(self.db.query(f"SELECT * FROM vendor_claims WHERE {' AND '.join(where)} ORDER BY id", args))
        return [self._with_notes(row) for row in rows]

    def claim(self, no: int) -> dict[str, Any] | None:
        """One claim with its differences (notes, serials)."""
        row = next(iter(self.db.query("SELECT * FROM vendor_claims WHERE id = ?", (no,))), None)
        return None if row is None else self._with_notes(row)

    def _with_notes(self, row: dict[str, Any]) -> dict[str, Any]:
        notes = list(self.db.query(
            "SELECT d.id AS difference, d.kind, d.value, c.serial, c.photo FROM differences d"
            " LEFT JOIN counterfeits c ON c.id = d.counterfeit WHERE d.claim = ? ORDER BY d.id", (row["id"],)))
        return {**row, "differences": notes}

    def set_claim_status(self, no: int, status: str, by: dict[str, Any], vendor_ref: str | None,
                         remark: str | None) -> dict[str, Any]:
        """Move a claim on (compensated, rejected, bad_debt), with the vendor's reference and a remark."""
        if status not in CLAIM_STATUSES[1:]:
            raise LedgerError(f"a claim's status moves to one of {', '.join(CLAIM_STATUSES[1:])}")
        with self.db.atomic():
            if self.claim(no) is None:
                raise LedgerError(f"no claim {no}")
            self.db.execute("UPDATE vendor_claims SET status = ?, updated = ?, updated_by = ?,"
                            " vendor_ref = COALESCE(?, vendor_ref), remark = COALESCE(?, remark) WHERE id = ?",
                            (status, utc_now(), by["by"], vendor_ref, remark, no))
            add_register_record(self.db, "claim", {**self._claim_record(no), **by}, "claim_" + status)
        found = self.claim(no)
        assert found is not None
        return found

    def _claim_record(self, no: int) -> dict[str, Any]:
        row = self.claim(no)
        assert row is not None
        return {"no": no, "session": row["session"], "box_id": row["box_id"], "amount": row["amount"],
                "notes": row["notes"], "status": row["status"], "created": row["created"],
                "differences": [d["difference"] for d in row["differences"]],
                "vendor_ref": row["vendor_ref"], "remark": row["remark"]}
