"""Operator accounts (one per person, scrypt-hashed passwords), their sessions and login limits.

Everything lives in the store, not in a process: with several workers any of them may see the
next request of a session or the next wrong password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from backend_api.fields import format_utc
from refbackend.fleetstore import ID_PATTERN
from refbackend.store import BackendStore

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # ~16 MiB and tens of ms per check
MIN_PASSWORD = 10
SESSION_HOURS = 12
MAX_FAILURES, FAILURE_WINDOW = 5, 60.0  # wrong passwords per address per window, then 429


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash as text: scrypt$salt$hash (hex)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    """Whether `password` gives `stored` (constant-time compare)."""
    _, salt, _ = stored.split("$")
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt)), stored)


def add_operator(store: BackendStore, login: str, name: str, password: str) -> None:
    """Add an operator (or set a new password and enable again); ValueError on bad input."""
    if not ID_PATTERN.fullmatch(login):
        raise ValueError(f"login: 1-64 characters of A-Z a-z 0-9 . _ - required, got {login[:80]!r}")
    if not name.strip() or len(name) > 100:
        raise ValueError("name: 1-100 characters required")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters required")
    hashed = hash_password(password)
    with store.transaction() as sql:
        if sql.run("UPDATE operators SET name = ?, hash = ?, enabled = 1 WHERE login = ?", (name, hashed, login)) == 0:
            sql.run("INSERT INTO operators (login, name, hash, enabled, created) VALUES (?, ?, ?, 1, ?)",
                    (login, name, hashed, format_utc(datetime.now(UTC))))


def disable_operator(store: BackendStore, login: str) -> None:
    """Disable an operator and end their sessions; ValueError when there is none."""
    with store.transaction() as sql:
        if sql.run("UPDATE operators SET enabled = 0 WHERE login = ?", (login,)) == 0:
            raise ValueError(f"no operator {login!r}")
        sql.run("DELETE FROM operator_sessions WHERE login = ?", (login,))


def operators(store: BackendStore) -> list[dict[str, Any]]:
    """Every operator: login, name, enabled, created."""
    with store.transaction() as sql:
        return sql.rows("SELECT login, name, enabled, created FROM operators ORDER BY login")


def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class OperatorLogin:
    """Checks passwords with a per-address limit, and starts, finds and ends sessions."""

    def __init__(self, store: BackendStore, clock: Any = time.time) -> None:
        self.store, self.clock = store, clock

    def reserve(self, client: str) -> tuple[float | None, int]:
        """Count a log-in against `client` before its body is read (log-ins sent at once cannot race
        past the limit): (the stamp to give back if it succeeds, 0), or (None, seconds to wait)."""
        now = self.clock()
        with self.store.transaction() as sql:
            if sql.postgres:  # two workers counting one address: one after the other
                sql.one("SELECT pg_advisory_xact_lock(hashtextextended(?, 0)) AS x", (f"login/{client}",))
            sql.run("DELETE FROM login_failures WHERE at <= ?", (now - FAILURE_WINDOW,))
            times = [r["at"] for r in sql.rows("SELECT at FROM login_failures WHERE client = ? ORDER BY at", (client,))]
            if len(times) >= MAX_FAILURES:
                return None, max(1, int(times[-MAX_FAILURES] + FAILURE_WINDOW - now + 0.999))
            stamp = max(now, times[-1] + 1e-6) if times else now  # one stamp per log-in: succeeded() frees one
            sql.run("INSERT INTO login_failures (client, at) VALUES (?, ?)", (client, stamp))
        return stamp, 0

    def succeeded(self, client: str, stamp: float) -> None:
        """A reserved log-in was right: it no longer counts as a wrong one."""
        with self.store.transaction() as sql:
            sql.run("DELETE FROM login_failures WHERE client = ? AND at = ?", (client, stamp))

    def login(self, login: str, password: str) -> tuple[str, str] | None:
        """(session id, operator name) for the right password of an enabled operator, else None.

        Counted by reserve() beforehand; scrypt takes tens of ms: run it off the store's thread.
        """
        with self.store.transaction() as sql:
            row = sql.one("SELECT name, hash, enabled FROM operators WHERE login = ?", (login,))
        # an unknown login costs the same scrypt as a known one: no timing tells which logins exist
        stored = row["hash"] if row else hash_password("-")
        if not (password_matches(password, stored) and row is not None and row["enabled"]):
            return None
        sid = secrets.token_urlsafe(32)
        expires = format_utc(datetime.fromtimestamp(self.clock(), UTC) + timedelta(hours=SESSION_HOURS))
        with self.store.transaction() as sql:
            sql.run("DELETE FROM operator_sessions WHERE expires < ?", (format_utc(datetime.now(UTC)),))
            sql.run("INSERT INTO operator_sessions (sid, login, expires) VALUES (?, ?, ?)", (_sid_hash(sid), login, expires))
        return sid, row["name"]

    def session(self, sid: str) -> dict[str, Any] | None:
        """The operator (login, name) of a live session of an enabled operator, or None."""
        if not sid:
            return None
        now = format_utc(datetime.fromtimestamp(self.clock(), UTC))
        with self.store.transaction() as sql:
            return sql.one("SELECT o.login, o.name FROM operator_sessions s JOIN operators o ON o.login = s.login"
                           " WHERE s.sid = ? AND s.expires > ? AND o.enabled = 1", (_sid_hash(sid), now))

    def logout(self, sid: str) -> None:
        """End a session."""
        with self.store.transaction() as sql:
            sql.run("DELETE FROM operator_sessions WHERE sid = ?", (_sid_hash(sid),))
