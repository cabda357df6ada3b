"""SIGKILL the daemon at N seeded random moments of payments and report what was lost.

    python -m bench.crash_harness [--kill-points 1000] [--seed S] [--validator id003|ssp|ccnet|cctalk]
                                  [--old-ssp-firmware]

Prints "N kill points, L lost, D double credited" (", K in doubt" when a validator could not tell
a note's fate: older SSP firmware) and any other invariant breach.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from drivers.registry import NAMES
from tests.crash.harness import run


def main() -> int:
    """Run the harness and print its findings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-points", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--verbose", action="store_true", help="print each kill point")
    parser.add_argument("--validator", default="id003", choices=NAMES)
    parser.add_argument("--old-ssp-firmware", action="store_true",
                        help="SSP without POLL WITH ACK and GET COUNTERS (older NV9 firmware)")
    args = parser.parse_args()
    emulator = {"poll_with_ack": False, "counters": False} if args.old_ssp_firmware else {}
    if emulator and args.validator != "ssp":
        parser.error("--old-ssp-firmware needs --validator ssp")
    print(f"crash harness ({args.validator}): seed {args.seed}, {args.kill_points} kill points", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kioskd-crash-") as root:
        findings = asyncio.run(run(Path(root), args.seed, args.kill_points, report=args.verbose,
                                       driver=args.validator, **emulator))
    print(findings.line())
    for problem in findings.problems:
        print("  PROBLEM:", problem)
    print(f"took {time.monotonic() - started:.0f} s")
    return 0 if not findings.problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
