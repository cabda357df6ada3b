"""Benchmark: push >= 1,000,000 random ccTalk frames through CctalkParser; prints frames/s.

Both checksum modes; the stream holds replies to the host (dest 1) like the driver reads.
Run from the repository root, in its venv (`make test` builds it): .venv/bin/python -m bench.cctalk_codec [N]
"""

from __future__ import annotations

import random
import sys

from bench._codec import parse_timed
from drivers.validator.cctalk import HOST, CctalkParser, build_frame, encode_event_block


def run(mode: str, n: int, chunk: int = 4096) -> None:
    """Parse n frames in `mode` and print the rate."""
    rng = random.Random(7)
    kinds = [b"", encode_event_block(3, [(6, 0), (6, 1)]), b"CN0100A", b"\x64\x00\x02", b"\xfe"]
    distinct = [build_frame(HOST, 40, 0, d, mode) for d in kinds]
    distinct += [build_frame(HOST, 40, rng.randrange(256), rng.randbytes(rng.randrange(12)), mode)
                 for _ in range(500)]
    stream = b"".join(rng.choice(distinct) for _ in range(n))
    got, dt = parse_timed(CctalkParser(mode, dests={HOST}), stream, chunk)
    assert got == n, (got, n)
    print(f"cctalk parser ({mode}): {n} frames, {len(stream)} bytes in {dt:.2f} s: "
          f"{n / dt:,.0f} frames/s, {len(stream) / dt / 1e6:.1f} MB/s")


def main(n: int = 1_000_000) -> None:
    """Run both checksum modes."""
    for mode in ("simple", "crc16"):
        run(mode, n)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
