"""Technicians (scrypt PIN hashes, lock-out), custody sessions and box figures; ledger thread only.

Every authentication attempt and every lock-out is appended to the audit chain in the
same transaction as the failure counter it changes, so neither can exist without the other.
"""

from __future__ import annotations

import hmac
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlite_utils import Database

from kioskd.ledger.audit import AuditStore
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import format_utc, utc_now

# scrypt cost: about 16 MiB and tens of milliseconds per check, so a stolen journal
# does not give 6-digit PINs away by brute force in seconds.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
PIN_MIN_DIGITS = 6

AuthVerdict = Literal["ok", "unknown", "disabled", "locked", "bad_pin"]


@dataclass(frozen=True)
class Technician:
    """A technician as `tech list` shows it (never the PIN hash)."""

    id: str
    name: str
    enabled: bool
    failures: int
    locked_until: str | None
    created: str


@dataclass(frozen=True)
class AuthResult:
    """The outcome of one ID + PIN attempt; `locked_now` when this attempt caused the lock-out."""

    verdict: AuthVerdict
    tech: str
    name: str = ""
    locked_now: bool = False
    locked_until: str | None = None


def pin_problem(pin: str) -> str | None:
    """Why `pin` is not acceptable as a technician PIN, or None."""
    if not pin.isascii() or not pin.isdigit():
        return "the PIN must be digits only"
    if len(pin) < PIN_MIN_DIGITS:
        return f"the PIN must have at least {PIN_MIN_DIGITS} digits"
    return None


def hash_pin(pin: str, salt: bytes, n: int = SCRYPT_N) -> str:
    """`scrypt$n$r$p$hex` of the PIN with `salt`."""
    kdf = Scrypt(salt=salt, length=32, n=n, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${kdf.derive(pin.encode()).hex()}"


def pin_matches(pin: str, salt_hex: str, stored: str) -> bool:
    """True when `pin` hashes to `stored` (constant-time compare)."""
    try:
        _, n, _r, _p, _digest = stored.split("$")
        fresh = hash_pin(pin, bytes.fromhex(salt_hex), int(n))
    except ValueError:
        return False
    return hmac.compare_digest(fresh, stored)


def read_identity(state_dir: Path) -> tuple[str, str] | None:
    """(kiosk id, currency) recorded in an existing journal, or None when there is none."""
    path = Path(state_dir) / "journal.sqlite3"
    if not path.exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    if "kiosk_id" not in rows:
        return None
    return rows["kiosk_id"], rows.get("currency", "CNY")


class CustodyStore:
    """Technicians, custody sessions and box figures on one sqlite-utils Database."""

    def __init__(self, db: Database, audit: AuditStore) -> None:
        self.db = db
        self.audit = audit

    # -- technicians ----------------------------------------------------------------
    def add_technician(self, tech_id: str, name: str, pin: str, *, scrypt_n: int = SCRYPT_N) -> None:
        """Add a technician with a new PIN; refuses a short/non-digit PIN or a taken ID."""
        problem = pin_problem(pin)
        if problem:
            raise LedgerError(f"technician {tech_id}: {problem}")
        if not tech_id or not tech_id.strip():
            raise LedgerError("technician ID must not be empty")
        salt = os.urandom(16)
        digest = hash_pin(pin, salt, scrypt_n)
        with self.db.atomic():
            if self._row(tech_id) is not None:
                raise LedgerError(f"technician {tech_id} exists")
            self.db.execute(
                "INSERT INTO technicians (id, name, pin_hash, salt, created) VALUES (?, ?, ?, ?, ?)",
                (tech_id, name, digest, salt.hex(), utc_now()),
            )
            self.audit.append("tech_added", {"tech": tech_id, "name": name})

    def disable_technician(self, tech_id: str) -> None:
        """Disable a technician for good (the record stays)."""
        with self.db.atomic():
            if self._row(tech_id) is None:
                raise LedgerError(f"unknown technician {tech_id}")
            self.db.execute("UPDATE technicians SET enabled = 0 WHERE id = ?", (tech_id,))
            self.audit.append("tech_disabled", {"tech": tech_id})

    def technicians(self) -> list[Technician]:
        """Every technician, by ID."""
        return [
            Technician(r["id"], r["name"], bool(r["enabled"]), r["failures"], r["locked_until"], r["created"])
            for r in self.db.query("SELECT * FROM technicians ORDER BY id")
        ]

    def authenticate(
        self, tech_id: str, pin: str, now: datetime, session: str, max_failures: int, lockout: float
    ) -> AuthResult:
        """Check one ID + PIN; count failures, lock out after `max_failures`; all audited."""
        with self.db.atomic():
            row = self._row(tech_id)
            result = self._judge(row, tech_id, pin, now, max_failures, lockout)
            entry: dict[str, Any] = {"session": session, "tech": tech_id, "result": result.verdict}
            self.audit.append("tech_auth", entry)
            if result.locked_now:
                self.audit.append(
                    "tech_locked",
                    {"session": session, "tech": tech_id, "failures": max_failures,
                     "until": result.locked_until},
                )
        return result

    def _judge(
        self, row: dict[str, Any] | None, tech_id: str, pin: str, now: datetime,
        max_failures: int, lockout: float,
    ) -> AuthResult:
        if row is None:
            return AuthResult("unknown", tech_id)
        name = row["name"]
        if not row["enabled"]:
            return AuthResult("disabled", tech_id, name)
        locked_until = row["locked_until"]
        if locked_until is not None and locked_until > format_utc(now):
            return AuthResult("locked", tech_id, name, locked_until=locked_until)
        failures = row["failures"] if locked_until is None else 0  # an expired lock-out starts afresh
        if pin_matches(pin, row["salt"], row["pin_hash"]):
            self.db.execute("UPDATE technicians SET failures = 0, locked_until = NULL WHERE id = ?", (tech_id,))
            return AuthResult("ok", tech_id, name)
        failures += 1
        if failures >= max_failures:
            until = format_utc(now + timedelta(seconds=lockout))
            self.db.execute(
                "UPDATE technicians SET failures = 0, locked_until = ? WHERE id = ?", (until, tech_id)
            )
            return AuthResult("bad_pin", tech_id, name, locked_now=True, locked_until=until)
        self.db.execute(
            "UPDATE technicians SET failures = ?, locked_until = NULL WHERE id = ?", (failures, tech_id)
        )
        return AuthResult("bad_pin", tech_id, name)

    def _row(self, tech_id: str) -> dict[str, Any] | None:
        return next(iter(self.db.query("SELECT * FROM technicians WHERE id = ?", (tech_id,))), None)

    # -- sessions -------------------------------------------------------------------
    def open_session(self, session: str, source: str) -> None:
        """Record a started custody session."""
        self.db.execute(
            "INSERT INTO custody_sessions (id, started, source) VALUES (?, ?, ?)",
            (session, utc_now(), source),
        )

    def update_session(self, session: str, **fields: str | None) -> None:
        """Set tech1 / tech2 / box_id / outcome / reason / ended of a session."""
        allowed = {"tech1", "tech2", "box_id", "outcome", "reason", "ended"}
        if not fields or not set(fields) <= allowed:
            raise LedgerError(f"custody session fields must be among {sorted(allowed)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(
            f"UPDATE custody_sessions SET {assignments} WHERE id = ?", (*fields.values(), session)
        )

    def session(self, session: str) -> dict[str, Any] | None:
        """One custody session row."""
        return next(iter(self.db.query("SELECT * FROM custody_sessions WHERE id = ?", (session,))), None)

    # -- box figures ------------------------------------------------------------------
    def box_figures(self) -> dict[str, Any]:
        """The box now in the kiosk: since when, notes per value, payments and amount."""
        last = next(iter(self.db.query(
            "SELECT at, last_note FROM box_changes ORDER BY id DESC LIMIT 1")), None)
        after = 0 if last is None else last["last_note"]
        figures = next(iter(self.db.query(
            "SELECT COUNT(DISTINCT txn) AS payments, COALESCE(SUM(value), 0) AS amount,"
            " MIN(at) AS first FROM notes WHERE id > ?", (after,))))
        counts = {
            r["value"]: r["count"] for r in self.db.query("SELECT value, count FROM counters ORDER BY value")
        }
        since = last["at"] if last is not None else figures["first"]
        return {"since": since, "counts": counts, "payments": figures["payments"], "amount": figures["amount"]}

