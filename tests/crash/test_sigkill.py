"""Invariants 2-5 across SIGKILLs of the real daemon at seeded random moments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.crash.harness import run

pytestmark = pytest.mark.slow

KILL_POINTS = int(os.environ.get("KIOSKD_KILL_POINTS", "50"))
# the other protocols share the daemon and journal paths; fewer kills keep CI short
OTHER_KILL_POINTS = int(os.environ.get("KIOSKD_OTHER_KILL_POINTS", "15"))


# older NV9 firmware: POLL WITH ACK and GET COUNTERS are unknown commands, so a note credited as
# the host died cannot be told from one returned: it must end in doubt, never lost
OLD_SSP = {"poll_with_ack": False, "counters": False}


@pytest.mark.parametrize(("driver", "emulator"), [("id003", {}), ("ssp", {}), ("ccnet", {}), ("cctalk", {}),
                                                  ("ssp", OLD_SSP)], ids=["id003", "ssp", "ccnet", "cctalk", "ssp-old"])
async def test_no_note_lost_or_credited_twice_across_sigkills(tmp_path: Path, driver: str, emulator: dict) -> None:
    seed = int(os.environ.get("KIOSKD_CRASH_SEED", "20261123"))
    kills = KILL_POINTS if driver == "id003" else OTHER_KILL_POINTS
    print(f"crash harness {driver} {emulator}: seed {seed} (set KIOSKD_CRASH_SEED to replay)")
    findings = await run(tmp_path, seed, kills, driver=driver, **emulator)
    print(findings.line())
    assert findings.kill_points == kills
    assert findings.problems == [], f"seed {seed}: {findings.problems}; log {tmp_path / 'daemon.log'}"
    assert (findings.lost, findings.double_credited) == (0, 0)
