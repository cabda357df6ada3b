"""Invariants 2-5 across SIGKILLs of the real daemon at seeded random moments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.crash.harness import run

pytestmark = pytest.mark.slow

KILL_POINTS = int(os.environ.get("KIOSKD_KILL_POINTS", "50"))


async def test_no_note_lost_or_credited_twice_across_sigkills(tmp_path: Path) -> None:
    seed = int(os.environ.get("KIOSKD_CRASH_SEED", "20261123"))
    print(f"crash harness seed {seed} (set KIOSKD_CRASH_SEED to replay)")
    findings = await run(tmp_path, seed, KILL_POINTS)
    print(findings.line())
    assert findings.kill_points == KILL_POINTS
    assert findings.problems == [], f"seed {seed}: {findings.problems}; log {tmp_path / 'daemon.log'}"
    assert (findings.lost, findings.double_credited) == (0, 0)
