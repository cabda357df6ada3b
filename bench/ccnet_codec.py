"""Benchmark: push >= 1,000,000 random CCNET frames through CcnetParser; prints frames/s.

Two streams: clean frames, and the same frames with random garbage between one frame in ten
(the parser must resynchronise). Run from the repository root, in its venv (`make test` builds it): .venv/bin/python -m bench.ccnet_codec [N]
"""

from __future__ import annotations

import random
import sys

from bench._codec import parse_timed
from drivers.validator.ccnet import CcnetParser, build_frame, encode_bill_table
from drivers.validator.emulators.ccnet_emu import CNY_TABLE


def main(n: int = 1_000_000, chunk: int = 4096) -> None:
    rng = random.Random(3)
    table = encode_bill_table(CNY_TABLE)
    kinds = [(0x33, b""), (0x00, b""), (0x14, b""), (0x19, b""), (0x80, b"\x04"), (0x81, b"\x04"),
             (0x1C, b"\x68"), (0x47, b"\x50"), (table[0], table[1:])]
    distinct = [build_frame(c, d) for c, d in kinds]
    distinct += [build_frame(rng.randrange(256), rng.randbytes(rng.randrange(12)))
                 for _ in range(500)]
    frames = [rng.choice(distinct) for _ in range(n)]
    stream = b"".join(frames)
    got, dt = parse_timed(CcnetParser(), stream, chunk)
    assert got == n, (got, n)
    print(f"ccnet parser, clean: {n} frames, {len(stream)} bytes in {dt:.2f} s: "
          f"{n / dt:,.0f} frames/s, {len(stream) / dt / 1e6:.1f} MB/s")
    noisy = b"".join(f if i % 10 else rng.randbytes(rng.randrange(1, 9)) + f
                     for i, f in enumerate(frames))
    parser = CcnetParser()
    got, dt = parse_timed(parser, noisy, chunk)
    # noise can only add frames (a CRC that happens to match), never lose one in practice
    print(f"ccnet parser, 1 in 10 after garbage: {got} frames ({n} sent), "
          f"{parser.dropped_bytes} bytes dropped in {dt:.2f} s: {n / dt:,.0f} frames/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
