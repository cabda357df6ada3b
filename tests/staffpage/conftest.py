"""A staff page on an ephemeral port over the real control handlers, a real journal and real alerts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from kioskd.config import from_dict
from kioskd.control.handlers import Handlers
from kioskd.hall.alerts import Alerts
from kioskd.hall.page import StaffPage
from kioskd.ledger import Ledger
from tests.ledger.conftest import PIN_KEY

TOKEN = "hall-staff-token-2024"  # the installer's emergency login
# staff ID -> (name, role, PIN or password)
STAFF = {"2001": ("王芳", "hall", "hall-pass-2001"), "2002": ("陈静", "hall", "246813"),
         "3001": ("赵经理", "manager", "864209"), "1001": ("张伟", "technician", "135790")}


class Page:
    """The running page, the daemon-like object behind it, and HTTP clients for it."""

    def __init__(self, page: StaffPage, daemon: Any) -> None:
        self.page, self.daemon = page, daemon
        self.url = page.url
        self.origin = page.url.rstrip("/")
        self._sessions: list[aiohttp.ClientSession] = []

    def client(self, **headers: str) -> aiohttp.ClientSession:
        """A browser-like client: same-origin POSTs, a cookie jar that accepts an IP host."""
        session = aiohttp.ClientSession(headers={"Origin": self.origin, **headers},
                                        cookie_jar=aiohttp.CookieJar(unsafe=True))
        self._sessions.append(session)
        return session

    async def logged_in(self, staff: str = "2001") -> aiohttp.ClientSession:
        """A client logged in as the staff member `staff` (their own ID and secret)."""
        session = self.client()
        async with session.post(self.url + "login", data={"staff": staff, "secret": STAFF[staff][2]}) as resp:
            assert resp.status == 200, await resp.text()
        return session

    async def close(self) -> None:
        for session in self._sessions:
            await session.close()


@contextlib.asynccontextmanager
async def running_page(tmp_path: Path, **sections: dict[str, Any]) -> AsyncIterator[Page]:
    """The staff page over a fresh journal with STAFF; `sections` add to the config (custody={...})."""
    config = from_dict({
        "kiosk": {"id": "K-TEST-01", "name": "test hall"},
        "validator": {"port": "/dev/null"}, "printer": {"port": "/dev/null"},
        "keypad": {"driver": "screen"}, "backend": {"url": "http://127.0.0.1:9/"},
        "storage": {"path": str(tmp_path)}, **sections,
    })
    ledger = await Ledger.open(tmp_path, "K-TEST-01", pin_key=PIN_KEY)
    for staff, (name, role, secret) in STAFF.items():
        await ledger.staff_add(staff, name, role, secret, {"by": "test"})
    alerts = Alerts(ledger)
    daemon = SimpleNamespace(
        config=config, ledger=ledger, alerts=alerts, sim=None,
        model=SimpleNamespace(state="service_idle", problems={}, notices=set()), door=None,
        client=SimpleNamespace(last_contact="2024-05-01T08:00:00Z"),
    )
    page = StaffPage(Handlers(daemon), token=TOKEN, host="127.0.0.1", port=0, tz=config.kiosk.tz)
    await page.start()
    running = Page(page, daemon)
    try:
        yield running
    finally:
        await running.close()
        await page.stop()
        await alerts.drain()
        await ledger.close()


@pytest.fixture
async def staff_page(tmp_path: Path) -> AsyncIterator[Page]:
    async with running_page(tmp_path) as page:
        yield page
