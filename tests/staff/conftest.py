"""A simulated kiosk subprocess per test, and kioskctl run against its control socket."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from kioskd.cli import main as ctl
from kioskd.control.server import call
from tests.daemon import ROOT, STEP, RunningKiosk, start_kiosk


class Staff:
    """kioskctl (the real command, in this process) against one running kiosk."""

    def __init__(self, kiosk: RunningKiosk) -> None:
        self.kiosk = kiosk
        self.socket = str(kiosk.state_dir / "control.sock")

    async def run(self, *argv: str) -> tuple[int, str]:
        """Run `kioskctl ARGV --socket S`; (exit code, stdout)."""
        def main() -> tuple[int, str]:
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = ctl.main([*argv, "--socket", self.socket])
            return code, out.getvalue() + err.getvalue()
        return await asyncio.to_thread(main)

    async def json(self, *argv: str) -> dict[str, Any]:
        """`kioskctl ARGV --json`, parsed."""
        code, out = await self.run(*argv, "--json")
        reply = json.loads(out)
        assert (code == 0) == reply["ok"], out
        return reply

    async def request(self, request: dict[str, Any]) -> dict[str, Any]:
        """One raw control request."""
        return await asyncio.to_thread(call, self.socket, request)

    async def alerts(self, include_cleared: bool = False) -> list[dict[str, Any]]:
        return (await self.request({"cmd": "alerts", "all": include_cleared}))["alerts"]

    async def until(self, predicate: Callable[[], Any], what: str) -> Any:
        """Ask the daemon again every 0.1 s until `predicate()` (a coroutine function) is truthy.

        The answer lives in another process, so there is no event to wait on: we poll,
        bounded by STEP (callers may bound it tighter with asyncio.timeout).
        """
        try:
            async with asyncio.timeout(STEP):
                while True:
                    found = await predicate()
                    if found:
                        return found
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(f"waited {STEP}s for {what}; alerts: {await self.alerts(True)}") from None

    async def until_alert(self, code: str, state: str | None = "raised") -> dict[str, Any]:
        """Wait for the alert `code` to be open in `state` (None: to be gone from the open list)."""
        async def check() -> Any:
            found = [a for a in await self.alerts() if a["code"] == code]
            if state is None:
                return not found
            return found[0] if found and found[0]["state"] == state else None
        return await self.until(check, f"alert {code} {state or 'cleared'}")


def add_staff(state: Path, accounts: dict[str, tuple[str, str, str]]) -> None:
    """Staff accounts (ID -> name, role, secret) added with kioskctl, as an installer would (blocking)."""
    for staff, (name, role, secret) in accounts.items():
        done = subprocess.run([sys.executable, "-m", "kioskd.cli.main", "staff", "--state", str(state), "add",
                               staff, "--name", name, "--role", role, "--secret-stdin"],
                              cwd=ROOT, input=secret + "\n", capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr


async def pay(kiosk: RunningKiosk, account: str, notes: list[int], rating: str | None = None) -> dict[str, Any]:
    """A customer pays `notes` into `account` through the screen (and rates it); the result screen."""
    snap = await kiosk.pay(account, notes)
    if rating:
        await kiosk.press(f"rate_{rating}")
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
    return snap


@pytest.fixture
async def kiosk(tmp_path: Path) -> AsyncIterator[RunningKiosk]:
    k = await start_kiosk(tmp_path / "s")
    await k.until(lambda s: s.get("state") == "service_idle", "the idle screen")
    try:
        yield k
    finally:
        await k.stop()


@pytest.fixture
def staff(kiosk: RunningKiosk) -> Staff:
    return Staff(kiosk)
