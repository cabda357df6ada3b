"""Benchmark: push >= 1,000,000 random ID-003 frames through Id003Parser; prints frames/s.

Run from the repository root, in its venv (`make test` builds it): .venv/bin/python -m bench.id003_codec [N]
"""

from __future__ import annotations

import random
import sys

from bench._codec import parse_timed
from drivers.validator.id003 import Id003Parser, build_frame


def main(n: int = 1_000_000, chunk: int = 4096) -> None:
    rng = random.Random(3)
    kinds = [(0x11, b""), (0x1A, b""), (0x13, b"\x63"), (0x17, b"\x71"), (0x15, b""),
             (0x8A, bytes(24)), (0x49, b"\xa2")]
    distinct = [build_frame(c, d) for c, d in kinds]
    distinct += [build_frame(rng.randrange(256), rng.randbytes(rng.randrange(8))) for _ in range(500)]
    stream = b"".join(rng.choice(distinct) for _ in range(n))
    got, dt = parse_timed(Id003Parser(), stream, chunk)
    assert got == n, (got, n)
    print(f"id003 parser: {n} frames, {len(stream)} bytes in {dt:.2f} s: "
          f"{n / dt:,.0f} frames/s, {len(stream) / dt / 1e6:.1f} MB/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
