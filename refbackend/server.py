"""The reference backend: a store, the kiosk API (routes.py) on aiohttp, and its fault hooks."""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from backend_api.serving import Served, serve
from refbackend.accounts import DEMO_ACCOUNTS, load_accounts
from refbackend.enrolment import enroll
from refbackend.faults import Faults
from refbackend.fleet.config import FleetConfig
from refbackend.grouping import NO_LOCKS, GroupRunner, Takes
from refbackend.intake import MAX_BODY
from refbackend.page import OperatorPage
from refbackend.receipt import ReceiptPages
from refbackend.routes import KioskApi
from refbackend.store import BackendStore, is_postgres_url, open_store
from refbackend.verification import Verifier

__all__ = ["DEMO_ACCOUNTS", "Faults", "ReferenceBackend", "load_accounts"]

class ReferenceBackend:
    """The reference backend: a store, an aiohttp app and fault hooks."""

    def __init__(self, db_path: Path | str, accounts_file: Path | None = None, store: BackendStore | None = None,
                 fleet: FleetConfig | None = None) -> None:
        # A postgresql:// URL stays a string (Path would fold its "//"); anything else is a SQLite file.
        self.db_path: Path | str = db_path if is_postgres_url(db_path) else Path(db_path)
        self.store: BackendStore = store if store is not None else open_store(self.db_path)
        self.store.seed_accounts(load_accounts(accounts_file or DEMO_ACCOUNTS))
        self.faults = Faults()
        # sqlite3 and psycopg block: the server's store calls run on a store thread, many per commit.
        # One thread per process, on PostgreSQL too: with 4 (a connection each) the groups were
        # 3 calls, not 24, and a payment cost 4.7 ms of CPU instead of 2.8 (bench.fleet_load); a
        # second thread also waits for the GIL that the event loop holds. More cores: --workers.
        self.runner = GroupRunner(self.store)
        self.verifier = Verifier(lambda kid: self._in_store(self.store.kiosk, kid),
                                 lambda since: self._in_store(self.store.kiosk_changes, since))
        fleet = fleet or FleetConfig()
        self.api = KioskApi(self.store, self._in_store, self.verifier, self.faults, fleet.zone)
        self.page = OperatorPage(self.store, self._in_store, fleet)
        self.receipts = ReceiptPages(self.store, self._in_store, self.verifier, fleet)
        self._served: Served | None = None
        self.url: str | None = None  # base URL while serving

    @property
    def hits(self) -> Counter[str]:
        """Requests seen per path, for tests."""
        return self.api.hits

    def enroll(self, kiosk_id: str, public_key: Ed25519PublicKey | str, hall: str | None = None) -> None:
        """Enrol a kiosk's public key (an object or raw base64url), in a hall (None: keep its hall)."""
        enroll(self.store, kiosk_id, public_key, hall)
        self.verifier.forget(kiosk_id)

    def disable(self, kiosk_id: str) -> None:
        """Disable an enrolled kiosk: its requests are refused with 401 kiosk_disabled."""
        if not self.store.set_enabled(kiosk_id, False):
            raise ValueError(f"kiosk {kiosk_id!r} is not enrolled")
        self.verifier.forget(kiosk_id)

    def build_app(self) -> web.Application:
        """The aiohttp application: the kiosk API, the operator's page, the customer's receipt pages."""
        app = web.Application(client_max_size=MAX_BODY)
        self.api.add_to(app)
        self.page.add_to(app)
        self.receipts.add_to(app)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0, *, sock: socket.socket | None = None) -> str:
        """Serve on host:port (0 = any free port), or on a bound `sock`; return the base URL with a trailing /."""
        # handler_cancellation=False (aiohttp's default): a commit finishes even if the client left.
        # A short grace period: a test that delays answers must not hold up stop() for long.
        await self.verifier.refresh()  # every enrolled key in memory before the first request
        self._served = await serve(self.build_app(), host, port, sock=sock, shutdown_timeout=0.5)
        self.url = f"http://{self._served.host}:{self._served.port}/"
        return self.url

    async def stop(self) -> None:
        """Stop serving (the store stays open: start() again serves the same data)."""
        if self._served is not None:
            await self._served.close()
            self._served = None

    def close(self) -> None:
        """Release the store and its thread."""
        self.runner.close()
        self.store.close()

    def credits(self, kiosk_id: str) -> dict[str, int]:
        """Credited payments of a kiosk: txn -> amount (fen)."""
        return self.store.credits(kiosk_id)

    def credited_total(self, kiosk_id: str) -> int:
        """Sum credited for a kiosk (fen)."""
        return sum(self.credits(kiosk_id).values())

    async def _in_store(self, method: Any, *args: Any, takes: Takes = NO_LOCKS) -> Any:
        return await self.runner.call(method, *args, takes=takes)
