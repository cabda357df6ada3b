"""Shared pieces for the screen tests: a key recorder, a fake SimControl, sample snapshots."""

from __future__ import annotations

import asyncio
import copy
from typing import Any


class KeyRecorder:
    """on_key callback that records keys and lets a test wait for the n-th one."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self._changed = asyncio.Event()

    def __call__(self, key: str) -> None:
        self.keys.append(key)
        self._changed.set()

    async def wait_for(self, count: int, limit: float = 5.0) -> list[str]:
        """Wait until `count` keys arrived (bounded); returns them."""
        async with asyncio.timeout(limit):
            while len(self.keys) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.keys


class FakeSim:
    """A SimControl that records what the /sim page asked for."""

    def __init__(self) -> None:
        self.inserted: list[int] = []
        self._faults = {"jam": False, "stacker_full": False, "paper_out": False}
        self.receipt: tuple[list[str], bytes | None] | None = None
        self.got_note = asyncio.Event()

    async def insert(self, value: int) -> None:
        self.inserted.append(value)
        self.got_note.set()

    async def fault(self, name: str, on: bool) -> None:
        self._faults[name] = on

    def faults(self) -> dict[str, bool]:
        return dict(self._faults)

    def latest_receipt(self) -> tuple[list[str], bytes | None] | None:
        return self.receipt

    def latest_qr(self) -> list[str]:
        return []

    def printed(self) -> int:
        return int(self.receipt is not None)

    def backend_hits(self) -> dict[str, int]:
        return {}


BASE: dict[str, Any] = {
    "state": "service_idle",
    "locale": "zh-CN",
    "account": "",
    "account_error": None,
    "lookup_error": None,
    "info": None,
    "denominations": [100, 500, 1000, 2000, 5000, 10000],
    "notes": [],
    "total": 0,
    "max_more": None,
    "message": None,
    "deadline": None,
    "timeout": None,
    "result": None,
    "receipt": None,
    "rating": None,
    "large_text": False,
    "help": None,
    "unavailable": None,
    "notices": [],
}

INFO = {"holder": "张*明", "due": 12350, "balance": -12350, "min": 100, "max": 500000}


def snapshot(**changes: Any) -> dict[str, Any]:
    """A full snapshot like the machine publishes, with `changes` applied."""
    snap = copy.deepcopy(BASE)
    snap.update(changes)
    return snap
