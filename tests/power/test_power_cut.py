"""Invariants 2-6 across power cuts: the state folder keeps only what was fsynced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.power.harness import run

pytestmark = pytest.mark.slow

CUTS = int(os.environ.get("KIOSKD_POWER_CUTS", "50"))
SSP_CUTS = int(os.environ.get("KIOSKD_SSP_POWER_CUTS", "5"))  # its counter file is a state file
CARELESS = Path(__file__).parent / "careless"


@pytest.mark.parametrize("driver", ["id003", "ssp"])
async def test_no_note_lost_or_credited_twice_across_power_cuts(fuse: None, tmp_path: Path,
                                                                 driver: str) -> None:
    seed = int(os.environ.get("KIOSKD_CRASH_SEED", "20261202"))
    cuts = CUTS if driver == "id003" else SSP_CUTS
    print(f"power-cut harness {driver}: seed {seed} (set KIOSKD_CRASH_SEED to replay)")
    findings = await run(tmp_path, seed, cuts, driver=driver)
    print(findings.line("power cuts"))
    assert findings.kill_points == cuts
    assert findings.problems == [], f"seed {seed}: {findings.problems}; log {tmp_path / 'daemon.log'}"
    assert (findings.lost, findings.double_credited) == (0, 0)


async def test_the_harness_catches_state_files_written_without_fsync(fuse: None, tmp_path: Path) -> None:
    # the daemon's state files written as config.sha256 and the run marker once were
    careless = {"PYTHONPATH": os.pathsep.join(filter(None, [str(CARELESS), os.environ.get("PYTHONPATH")]))}
    findings = await run(tmp_path, seed=3, cuts=3, env=careless)
    assert (findings.lost, findings.double_credited) == (0, 0)  # the journal itself is fsynced
    problems = "\n".join(findings.problems)
    assert "config_change audit entries for one unchanged config" in problems
    assert "restarts said 'did not stop cleanly'" in problems
