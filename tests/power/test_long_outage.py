"""The backend away while customers keep paying: told pending, a limit on the money held, the drain.

A small scale of bench/long_outage.py (72 h at one payment a minute): every payment is told
"pending"; with [backend] max_pending reached the kiosk goes out of service after the payment;
when the backend is back the outbox sends the payments in their order, each credited once,
and the kiosk serves again by itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crash.harness import KIOSK, CrashWorld, Findings
from tests.power.outage import (
    arrival_seqs,
    backend_away,
    backend_back,
    journal_states,
    pay,
    poll_until,
)

pytestmark = pytest.mark.slow

PAYMENTS = 5
NOTE = 1000  # fen; the limit is reached with the last payment


async def test_payments_through_an_outage_drain_in_order_once_each(tmp_path: Path) -> None:
    world = CrashWorld(tmp_path, seed=1)
    world.backend_config = f"timeout = 0.3\nstatus_every = 2.0\nmax_pending = {PAYMENTS * NOTE}"
    try:
        await world.start()
        kiosk = await world.launch()
        backend_away(world)
        for _ in range(PAYMENTS):
            assert (await pay(kiosk, world, NOTE))["status"] == "pending"  # the truth, on screen and receipt
        snap = await kiosk.until(lambda s: s["state"] == "unavailable", "out of service: too much money held")
        assert snap["unavailable"] == {"reason": "backend"}
        assert journal_states(world) == {"pending": PAYMENTS} and world.backend.credits(KIOSK) == {}

        backend_back(world)
        # the next answer (the status report, every 2 s here) wakes the outbox; it drains
        await poll_until(lambda: journal_states(world) == {"credited": PAYMENTS}, "every payment credited")
        await kiosk.until(lambda s: s["state"] == "service_idle", "back in service by itself")
        await world.settle()
    finally:
        await world.close()
    assert arrival_seqs(world) == list(range(1, PAYMENTS + 1))  # in order, each once
    findings = world.check(Findings())
    assert findings.problems == [] and (findings.lost, findings.double_credited) == (0, 0)
