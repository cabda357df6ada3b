"""Power-cut the daemon at N seeded random moments of payments and report what was lost.

    python -m bench.power_cut [--cuts 1000] [--seed S] [--validator id003|ssp|ccnet|cctalk]

The state folder is a FUSE file system (tests/power/lazyfs.py) that drops, at each cut, every
write and directory entry not yet fsynced. Prints "N power cuts, L lost, D double credited"
and any other breach (a restart that did not say so, a false config change, a broken chain,
a torn backup). Needs /dev/fuse, fusermount3 (Debian fuse3) and mfusepy.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from drivers.registry import NAMES
from tests.power.harness import run
from tests.power.mount import fuse_missing


def main() -> int:
    """Run the harness and print its findings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--verbose", action="store_true", help="print each cut")
    parser.add_argument("--validator", default="id003", choices=NAMES)
    args = parser.parse_args()
    missing = fuse_missing()
    if missing:
        print(f"power-cut harness: cannot mount FUSE here ({missing})")
        return 1
    print(f"power-cut harness ({args.validator}): seed {args.seed}, {args.cuts} cuts", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kioskd-power-") as root:
        findings = asyncio.run(run(Path(root), args.seed, args.cuts, report=args.verbose,
                                   driver=args.validator))
    print(findings.line("power cuts"))
    for problem in findings.problems:
        print("  PROBLEM:", problem)
    print(f"took {time.monotonic() - started:.0f} s")
    return 0 if not findings.problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
