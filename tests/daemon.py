"""Drive a whole kioskd subprocess through its external interfaces (screen, /sim)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
STEP = 20.0  # the most one step may take on a loaded CI machine before the test fails


class RunningKiosk:
    """A `kioskd run --simulate` subprocess, its screen URL and its latest snapshot."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str, state: Path) -> None:
        # the printed URL is the kiosk browser's: the page and the screen's per-boot secret
        self.page_url = url
        self.url, _, key = url.partition("?k=")
        self.key = f"?k={key}"  # what the screen's own page adds to its WebSocket and keys
        self.proc, self.state_dir = proc, state
        self.origin = self.url.rstrip("/")
        self.snapshot: dict[str, Any] = {}
        self.states: list[str] = []
        self._changed = asyncio.Condition()
        self._session = aiohttp.ClientSession(headers={"Origin": self.origin})
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self.output: list[str] = []  # what it printed up to its help's last line
        self.drain: asyncio.Task[None] | None = None  # copies the rest to daemon.log

    async def connect(self) -> None:
        self._ws = await self._session.ws_connect(self.url + "ws" + self.key)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._ws is not None
        async for msg in self._ws:
            data = json.loads(msg.data)
            if data.get("type") != "snapshot":
                continue
            async with self._changed:
                self.snapshot = data["snapshot"]
                if not self.states or self.states[-1] != self.snapshot["state"]:
                    self.states.append(self.snapshot["state"])
                self._changed.notify_all()

    async def until(self, predicate: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.snapshot)), STEP)
            except TimeoutError:
                raise AssertionError(f"waited {STEP}s for {what}; screen shows {self.snapshot}") from None
        return self.snapshot

    async def press(self, *keys: str) -> None:
        for key in keys:
            async with self._session.post(self.url + "key" + self.key, json={"key": key}) as resp:
                assert resp.status == 200, await resp.text()

    async def to_cash(self, account: str = "0012345678") -> None:
        """From the idle screen, as a customer: the account, its confirmation, to the cash step."""
        await self.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await self.press(*account, "confirm")
        await self.until(lambda s: s["state"] == "payment_confirm", "the confirmation")
        await self.press("confirm")
        await self.until(lambda s: s["state"] == "payment_cash_waiting", "the cash step")

    async def insert_counted(self, notes: list[int]) -> None:
        """At the cash step: offer `notes` one by one, each counted on the screen before the next."""
        for i, value in enumerate(notes, 1):
            await self.insert(value)
            await self.until(lambda s, n=i: len(s["notes"]) == n and s["state"] == "payment_cash_waiting",
                             f"note {i} counted")

    async def pay(self, account: str, notes: list[int]) -> dict[str, Any]:
        """From the idle screen, as a customer: the account, the notes, finish; the result screen."""
        await self.to_cash(account)
        await self.insert_counted(notes)
        await self.press("finish")
        return await self.until(lambda s: s["state"] == "payment_done", "the result screen")

    async def insert(self, value: int) -> dict[str, Any]:
        """Offer a note at the simulated validator; the /sim page's answer (handed_back: not taken)."""
        async with self._session.post(self.url + "sim/insert", json={"value": value}) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def fault(self, name: str, on: bool) -> None:
        async with self._session.post(self.url + "sim/fault", json={"name": name, "on": on}) as resp:
            assert resp.status == 200, await resp.text()

    async def sim_state(self) -> dict[str, Any]:
        async with self._session.get(self.url + "sim/state") as resp:
            return await resp.json()

    async def until_printed(self, text: str) -> list[str]:
        """Wait (bounded) until the printer emulator's latest receipt holds `text`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP
        while True:
            lines = (await self.sim_state())["receipt"] or []
            if any(text in line for line in lines):
                return lines
            if loop.time() > deadline:
                raise AssertionError(f"waited {STEP}s for a receipt with {text!r}; last: {lines}")
            await asyncio.sleep(0.1)  # the printer emulator has no push channel: poll it

    async def stop(self) -> int:
        if self._reader is not None:
            self._reader.cancel()
        await self._session.close()
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), STEP)


async def until_journal(state: Path, query: str, *params: object) -> None:
    """Wait (bounded) until `query` on the daemon's journal returns a non-zero first column."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP
    while True:
        db = sqlite3.connect(f"file:{state / 'journal.sqlite3'}?mode=ro", uri=True)
        try:
            if db.execute(query, params).fetchone()[0]:
                return
        finally:
            db.close()
        assert loop.time() < deadline, f"waited {STEP}s for the journal to show: {query} {params}"
        await asyncio.sleep(0.1)  # the journal file has no push channel: poll it


def already_closed_today(state: Path, tz: str = "Asia/Shanghai") -> None:
    """Mark today and tomorrow (the kiosk's days) closed in a fresh state directory's daily_close.json.

    Between the [close] time (23:30) and midnight a freshly started daemon closes the day at once,
    and a test running across it meets a close (and its batch) it did not ask for; a test that
    counts closes or batches starts from a kiosk that closed today already, as one would after 23:30.
    """
    today = datetime.now(ZoneInfo(tz)).date()
    state.mkdir(parents=True, exist_ok=True)
    (state / "daily_close.json").write_text(
        json.dumps({"closed": [today.isoformat(), (today + timedelta(days=1)).isoformat()]}), encoding="utf-8")


def faketime_env(libfaketime: str, offset_file: Path) -> dict[str, str]:
    """A daemon's environment whose wall clock libfaketime reads from `offset_file` at each call.

    Monotonic time stays real (timeouts are monotonic everywhere), and libfaketime's monotonic fix
    is off: with it every thread wake-up (the GIL handed over, the ledger thread's answer) takes
    milliseconds, which a real kiosk never pays (bench/soak.py does the same)."""
    return {"LD_PRELOAD": libfaketime, "FAKETIME_TIMESTAMP_FILE": str(offset_file), "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_FORCE_MONOTONIC_FIX": "0"}


async def start_kiosk(state: Path, *extra: str, env: dict[str, str] | None = None) -> RunningKiosk:
    """Start the daemon in simulate mode and wait until it says where its screen is (`env`: added to ours)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kioskd", "run", "--simulate", "--state", str(state),
        "--listen", "127.0.0.1:0", *extra,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    url, seen, helping = None, [], False
    try:
        while url is None or helping:  # the simulated kiosk's help ends with its "stop:" line
            line = (await asyncio.wait_for(proc.stdout.readline(), STEP)).decode()
            if not line:
                raise AssertionError("kioskd exited before it was ready:\n" + "".join(seen))
            seen.append(line)
            helping = (helping or "simulated kiosk is running" in line) and "stop:" not in line
            if "customer screen:" in line:
                url = line.split("customer screen:")[1].strip()
        kiosk = RunningKiosk(proc, url, state)
        kiosk.output = list(seen)
        kiosk.drain = asyncio.create_task(_drain(proc.stdout, _log_file(state.parent / "daemon.log"), seen))
        await kiosk.connect()
    except BaseException:  # a daemon that never became ready must not outlive its test
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    return kiosk


def _log_file(path: Path) -> TextIO:
    return open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by _drain


async def _drain(stream: asyncio.StreamReader, out: TextIO, seen: list[str]) -> None:
    """Keep the daemon's output next to its state directory, for a failing test to show."""
    with out:
        out.writelines(seen)
        while line := await stream.readline():
            out.write(line.decode(errors="replace"))
            out.flush()


