"""Benchmark: push >= 1,000,000 random SSP packets through SspParser; prints packets/s.

Run from the repository root, in its venv (`make test` builds it): .venv/bin/python -m bench.ssp_codec [N]
"""

from __future__ import annotations

import random
import sys

from bench._codec import parse_timed
from drivers.validator.ssp import SspParser, build_packet


def main(n: int = 1_000_000, chunk: int = 4096) -> None:
    rng = random.Random(3)
    kinds = [b"\x07", b"\x56", b"\xf0", b"\xf0\xe8", b"\xf0\xef\x03", b"\xf0\xee\x01\xeb",
             b"\x02\xff\xff", b"\x02\x7f\x00", bytes(60)]
    distinct = [build_packet(rng.randrange(2), d) for d in kinds]
    # random packets; those that carry a 0x7F (counted below) take the unstuffing path
    distinct += [build_packet(rng.randrange(2), rng.randbytes(rng.randrange(1, 9)), rng.randrange(128))
                 for _ in range(500)]
    stuffed = sum(b"\x7f" in d[1:] for d in distinct)
    stream = b"".join(rng.choice(distinct) for _ in range(n))
    got, dt = parse_timed(SspParser(), stream, chunk)
    assert got == n, (got, n)
    print(f"ssp parser: {n} packets ({stuffed}/{len(distinct)} kinds stuffed), {len(stream)} bytes "
          f"in {dt:.2f} s: {n / dt:,.0f} packets/s, {len(stream) / dt / 1e6:.1f} MB/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
