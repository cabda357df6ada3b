"""PIN hashing (scrypt keyed with the kiosk's PIN key), custody sessions and box figures; ledger thread only.

Staff accounts and their authentication are in kioskd.ledger.staff.
"""

from __future__ import annotations

import hmac
import sqlite3
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlite_utils import Database

from kioskd.ledger.audit import AuditStore
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.records import utc_now

# scrypt cost: about 16 MiB and tens of milliseconds per check, so a stolen journal
# does not give 6-digit PINs away by brute force in seconds.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
KEYED = "hmac-scrypt"  # the stored form; plain "scrypt" only in journals from before the PIN key


def hash_pin(pin: str, salt: bytes, n: int = SCRYPT_N) -> str:
    """`scrypt$n$r$p$hex` of the PIN with `salt`."""
    kdf = Scrypt(salt=salt, length=32, n=n, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${kdf.derive(pin.encode()).hex()}"


def keyed(pin_key: bytes, scrypt_hash: str) -> str:
    """`hmac-scrypt$n$r$p$hex`: the scrypt hash keyed with the kiosk's PIN key (HMAC-SHA256).

    Without the key (kept out of the journal and its backups) no PIN can be tested against it;
    an old plain hash is upgraded the same way, without knowing the PIN.
    """
    params, _digest = scrypt_hash.rsplit("$", 1)
    return f"hmac-{params}${hmac.new(pin_key, scrypt_hash.encode(), 'sha256').hexdigest()}"


def pin_matches(pin: str, salt_hex: str, stored: str, pin_key: bytes) -> bool:
    """True when `pin` hashes to `stored` under `pin_key` (constant-time compare)."""
    try:
        kind, n, _r, _p, _digest = stored.split("$")
        if kind != KEYED:
            return False
        fresh = keyed(pin_key, hash_pin(pin, bytes.fromhex(salt_hex), int(n)))
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
    """Custody sessions and box figures on one sqlite-utils Database."""

    def __init__(self, db: Database, audit: AuditStore) -> None:
        self.db = db
        self.audit = audit

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

    def completed_since(self, at: str) -> str | None:
        """The id of a custody session completed (two technicians, box counted) after `at`, or None."""
        row = next(iter(self.db.query(
            "SELECT id FROM custody_sessions WHERE outcome IN ('match', 'mismatch') AND ended > ?"
            " ORDER BY ended LIMIT 1", (at,))), None)
        return None if row is None else row["id"]

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

