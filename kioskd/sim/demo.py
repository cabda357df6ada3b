"""`kioskd demo`: a scripted customer pays one bill at a simulated kiosk, state by state."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from drivers.base import KeyPressed
from kioskd import config as cfg
from kioskd.app import Daemon
from kioskd.sim.hardware import Simulation

ACCOUNT = "0012345678"
NOTES = (10000, 2000, 500)
STEP_SECONDS = 15.0  # the most one step may take before the demo gives up
SIM_CONFIG = Path(__file__).resolve().parents[2] / "config" / "simulate.toml"


class Watcher:
    """Prints every new state with what the screen shows, and lets the script wait for one."""

    def __init__(self) -> None:
        self.state = ""
        self.changed = asyncio.Condition()
        self.last: dict[str, Any] = {}

    def __call__(self, snapshot: dict[str, Any]) -> None:
        self.last = snapshot
        if snapshot["state"] != self.state:
            self.state = snapshot["state"]
            print(f"  -> {self.state:28} {describe(snapshot)}", flush=True)
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def until(self, predicate: Any) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: predicate(self.last)), STEP_SECONDS)


def describe(s: dict[str, Any]) -> str:
    """One line about what the customer sees."""
    if s.get("result"):
        r = s["result"]
        return f"{r['status']}: {r['amount']} fen, balance {r['balance']}, ref {r['ref']}, seq {r['seq']}"
    if s.get("info"):
        i = s["info"]
        return f"account {s['account']} holder {i['holder']} due {i['due']} fen; counted {s['total']} fen"
    return f"account {s['account']!r}" if s.get("account") else ""


async def demo() -> int:
    """Run the demo; 0 when the payment was credited and a receipt printed."""
    config = cfg.load(SIM_CONFIG)
    with tempfile.TemporaryDirectory(prefix="kioskd-demo-") as state:
        config = dataclasses.replace(
            config,
            storage=dataclasses.replace(config.storage, path=state),
            screen=dataclasses.replace(config.screen, listen="127.0.0.1:0"),
        )
        sim = Simulation(Path(state))
        config = await sim.start(config)
        daemon = Daemon(config, sim=sim)
        watch = Watcher()
        publish = daemon._publish

        def publish_and_watch(snapshot: dict[str, Any]) -> None:
            publish(snapshot)
            watch(snapshot)

        daemon._publish = publish_and_watch  # type: ignore[method-assign]
        try:
            print("kioskd demo: a customer pays an electricity bill in cash\n", flush=True)
            await daemon.start()
            return await customer(daemon, sim, watch)
        finally:
            await daemon.stop()
            await sim.stop()


async def customer(daemon: Daemon, sim: Simulation, watch: Watcher) -> int:
    """The scripted customer."""

    async def press(*keys: str) -> None:
        for key in keys:
            daemon.events.put_nowait(KeyPressed("demo", key))

    print(f"customer types account {ACCOUNT} and confirms", flush=True)
    await press(*ACCOUNT, "confirm")
    await watch.until(lambda s: s["state"] == "payment_confirm")
    print("customer checks the holder and confirms", flush=True)
    await press("confirm")
    await watch.until(lambda s: s["state"] == "payment_cash_waiting")
    for value in NOTES:
        print(f"customer inserts a {value // 100} yuan note", flush=True)
        before = watch.last["total"]
        await sim.insert(value)
        await watch.until(lambda s, b=before: s["total"] > b and s["state"] == "payment_cash_waiting")
        print(f"     counted so far: {watch.last['total']} fen", flush=True)
    print("customer presses finish", flush=True)
    await press("finish")
    await watch.until(lambda s: s["state"] in ("payment_done", "payment_help"))
    print("\nreceipt printed by the (emulated) printer:", flush=True)
    receipt = sim.latest_receipt()
    for line in receipt[0] if receipt else ["(no receipt)"]:
        print(f"  | {line}")
    result = watch.last.get("result") or {}
    ok = result.get("status") == "credited" and receipt is not None
    print(f"\nbackend credited total: {sim.backend.credited_total(daemon.config.kiosk.id)} fen; "
          f"validator stacked {sum(sim.validator.stacked)} fen", flush=True)
    return 0 if ok else 1
