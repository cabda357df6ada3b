"""What the operator's side keeps, on either engine: enrolment, kiosk status, contact, fleet reads.

FleetStore is mixed into SQLiteStore and PostgresStore; each gives it `transaction()`, one transaction.
"""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from refbackend.fleet.forecast import local_day
from refbackend.records import audit_records
from refbackend.sql import Sql, touch

ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")  # kiosk and hall ids (docs/spec/fleet.md)
UPTO = "\x7f"  # after `opened`: payments that ended at the box's opening were in it
# What a session's box is known to hold, from its kiosk's payments that ended in [since, opened]:
# fen received and credited, received and refused, and batched by the kiosk but never received
# (each txn once). Per session, scalar subqueries on (kiosk, ended) indexes, in the one statement.
_IN_BOX = "p.kiosk = s.kiosk AND p.ended >= COALESCE(s.since, '') AND p.ended < s.opened || ?"
_BOX = (f"(SELECT COALESCE(SUM(p.amount), 0) FROM payments p WHERE {_IN_BOX} AND p.credited) AS box_credited,"
        f" (SELECT COALESCE(SUM(p.amount), 0) FROM payments p WHERE {_IN_BOX} AND NOT p.credited) AS box_refused,"
        " (SELECT COALESCE(SUM(n.amount), 0) FROM (SELECT MAX({amount}) AS amount FROM batch_records r"
        " WHERE r.kiosk = s.kiosk AND r.kind = 'payment' AND r.at >= COALESCE(s.since, '') AND r.at < s.opened || ?"
        f" AND NOT EXISTS (SELECT 1 FROM payments p WHERE {_IN_BOX} AND p.txn = {{txn}})"
        " GROUP BY {txn}) n) AS box_never")


def _next_change(sql: Sql) -> int:
    """The next enrolment change number (the counter's row stays locked until this transaction ends)."""
    sql.run("UPDATE kiosk_changes SET last = last + 1 WHERE id = 1")
    row = sql.one("SELECT last FROM kiosk_changes WHERE id = 1")
    assert row is not None
    return int(row["last"])


class FleetStore:
    """Enrolment, status and the reads behind the operator's view and exports."""

    def transaction(self) -> AbstractContextManager[Sql]:
        """One transaction: committed when the block ends, rolled back on an error."""
        raise NotImplementedError

    # -- enrolment ---------------------------------------------------------------------
    def enroll(self, kiosk_id: str, public_key_b64url: str, hall: str | None = None, at: str | None = None) -> None:
        """Enrol, re-key or move a kiosk (hall None: keep its hall); enabled afterwards."""
        with self.transaction() as sql:
            change = _next_change(sql)
            if sql.one("SELECT kid FROM kiosks WHERE kid = ?", (kiosk_id,)) is None:
                sql.run("INSERT INTO kiosks (kid, public_key, hall, enabled, enrolled, changed) VALUES (?, ?, ?, 1, ?, ?)",
                        (kiosk_id, public_key_b64url, hall or "", at, change))
            else:
                sql.run("UPDATE kiosks SET public_key = ?, hall = COALESCE(?, hall), enabled = 1, changed = ?"
                        " WHERE kid = ?", (public_key_b64url, hall, change, kiosk_id))

    def set_enabled(self, kiosk_id: str, enabled: bool) -> bool:
        """Enable or disable an enrolled kiosk; False when it is not enrolled."""
        with self.transaction() as sql:
            return sql.run("UPDATE kiosks SET enabled = ?, changed = ? WHERE kid = ?",
                           (int(enabled), _next_change(sql), kiosk_id)) == 1

    def kiosk_changes(self, since: int) -> tuple[int, list[dict[str, Any]]]:
        """Kiosks whose enrolment changed after change number `since` (-1: every kiosk), and the newest number."""
        with self.transaction() as sql:
            rows = sql.rows("SELECT kid, public_key, enabled, changed FROM kiosks WHERE changed > ?", (since,))
        return max([since, *(r["changed"] for r in rows)]), rows

    def kiosk(self, kiosk_id: str) -> dict[str, Any] | None:
        """One enrolled kiosk: kid, public_key, hall, enabled, enrolled, last_contact."""
        with self.transaction() as sql:
            return sql.one("SELECT kid, public_key, hall, enabled, enrolled, last_contact FROM kiosks WHERE kid = ?",
                           (kiosk_id,))

    def public_key(self, kiosk_id: str) -> str | None:
        """The enrolled raw base64url public key of a kiosk."""
        kiosk = self.kiosk(kiosk_id)
        return None if kiosk is None else kiosk["public_key"]

    def kiosks(self, hall: str | None = None) -> list[dict[str, Any]]:
        """Every enrolled kiosk (of one hall), by hall and id."""
        with self.transaction() as sql:
            return sql.rows("SELECT kid, public_key, hall, enabled, enrolled, last_contact FROM kiosks"
                            + (" WHERE hall = ?" if hall is not None else "") + " ORDER BY hall, kid",
                            (hall,) if hall is not None else ())

    # -- status -----------------------------------------------------------------------
    def record_status(self, kiosk_id: str, payload: dict[str, Any], received: str) -> None:
        """Keep the newest status report of a kiosk."""
        report = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        with self.transaction() as sql:
            sql.run("INSERT INTO kiosk_status (kid, report, received) VALUES (?, ?, ?) ON CONFLICT (kid)"
                    " DO UPDATE SET report = excluded.report, received = excluded.received", (kiosk_id, report, received))
            touch(sql, kiosk_id, received)

    # -- reads for the operator's view --------------------------------------------------
    def fleet_rows(self, hall: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Kiosks with their last status, and their open alerts (one consistent read)."""
        where, params = ("WHERE k.hall = ?", (hall,)) if hall is not None else ("", ())
        with self.transaction() as sql:
            kiosks = sql.rows(
                "SELECT k.kid, k.hall, k.enabled, k.enrolled, k.last_contact, s.report, s.received"
                f" FROM kiosks k LEFT JOIN kiosk_status s ON s.kid = k.kid {where} ORDER BY k.hall, k.kid", params)
            alerts = sql.rows(
                "SELECT a.kiosk, a.id, a.code, a.severity, a.at, a.detail, k.hall,"
                " EXISTS (SELECT 1 FROM alerts x WHERE x.kiosk = a.kiosk AND x.id = a.id AND x.state = 'acknowledged')"
                " AS acknowledged FROM alerts a JOIN kiosks k ON k.kid = a.kiosk"
                " WHERE a.state = 'raised' AND NOT EXISTS (SELECT 1 FROM alerts c WHERE c.kiosk = a.kiosk"
                f" AND c.id = a.id AND c.state = 'cleared') {where.replace('WHERE', 'AND')}", params)
        return {"kiosks": kiosks, "alerts": alerts}

    def payments_ended(self, start: str, end: str, hall: str | None = None) -> list[dict[str, Any]]:
        """Payments whose `ended` is in [start, end) (UTC text), with the kiosk's hall."""
        where, params = "p.ended >= ? AND p.ended < ?", [start, end]
        if hall is not None:
            where += " AND k.hall = ?"
            params.append(hall)
        with self.transaction() as sql:
            rows = sql.rows(
                "SELECT k.hall, p.kiosk, p.txn, p.payload, p.credited, p.status, p.answer, p.received"
                f" FROM payments p JOIN kiosks k ON k.kid = p.kiosk WHERE {where}", params)
        for r in rows:
            r["payload"], r["answer"], r["credited"] = json.loads(r["payload"]), json.loads(r["answer"]), bool(r["credited"])
        return rows

    def credited_days(self, zone: ZoneInfo) -> list[dict[str, Any]]:
        """Credited payments and fen per kiosk and local day: the day each ended, in `zone`
        (docs/spec/registers.md "Which day a payment belongs to"), as the kiosk's daily close counts."""
        with self.transaction() as sql:
            rows = sql.rows("SELECT kiosk, ended, amount FROM payments WHERE credited")
        days: dict[tuple[str, str], dict[str, Any]] = {}
        for r in rows:
            day = local_day(datetime.fromisoformat(r["ended"].replace("Z", "+00:00")), zone).isoformat()
            total = days.setdefault((r["kiosk"], day), {"kiosk": r["kiosk"], "day": day, "payments": 0, "amount": 0})
            total["payments"] += 1
            total["amount"] += int(r["amount"])
        return [days[key] for key in sorted(days)]

    def credited_between(self, kiosk_id: str, start: str | None, end: str) -> int:
        """Fen credited for a kiosk's payments that ended in [start, end]."""
        with self.transaction() as sql:
            row = sql.one("SELECT COALESCE(SUM(amount), 0) AS total FROM payments WHERE kiosk = ? AND credited"
                          " AND ended >= ? AND ended <= ?", (kiosk_id, start or "", end))
        return int(row["total"]) if row else 0

    def custody_sessions(self, kiosk: str | None = None, ended: tuple[str, str] | None = None,
                         last_only: bool = False) -> list[dict[str, Any]]:
        """Custody sessions that ended (of a kiosk; ended in [start, end); or each kiosk's last), oldest first,
        each with what its box is known to hold (see _BOX): one query, however many sessions."""
        where, params = ["s.ended IS NOT NULL"], []
        if kiosk is not None:
            where.append("s.kiosk = ?")
            params.append(kiosk)
        if ended is not None:
            where.append("s.ended >= ? AND s.ended < ?")
            params += list(ended)
        if last_only:
            where.append("s.ended = (SELECT max(x.ended) FROM custody_sessions x WHERE x.kiosk = s.kiosk)")
        with self.transaction() as sql:
            txn, amount = (("(r.body::jsonb ->> 'txn')", "(r.body::jsonb ->> 'amount')::bigint") if sql.postgres
                           else ("json_extract(r.body, '$.txn')", "json_extract(r.body, '$.amount')"))
            return sql.rows("SELECT s.kiosk, s.session, s.opened, s.ended, s.outcome, s.box_id, s.since, s.expected,"
                            " s.counted, s.counterfeit, s.handover, " + _BOX.format(txn=txn, amount=amount) +
                            f" FROM custody_sessions s WHERE {' AND '.join(where)} ORDER BY s.ended, s.kiosk",
                            [UPTO] * 4 + params)

    def audit_records(self, types: tuple[str, ...], kiosk: str | None = None) -> list[dict[str, Any]]:
        """Audit records of these types from accepted batches, each with its kiosk."""
        with self.transaction() as sql:
            return audit_records(sql, types, kiosk)
