"""What the codec benchmarks share: a stream fed to a parser in serial-port-sized reads, timed."""

from __future__ import annotations

import time
from collections.abc import Sized
from typing import Protocol


class Parser(Protocol):
    """A protocol's frame parser: bytes in, the frames they complete out."""

    def feed(self, data: bytes) -> Sized: ...


def parse_timed(parser: Parser, stream: bytes, chunk: int) -> tuple[int, float]:
    """Feed `stream` to `parser` `chunk` bytes at a time; the frames it gave and the seconds it took."""
    got = 0
    t0 = time.perf_counter()
    for i in range(0, len(stream), chunk):
        got += len(parser.feed(stream[i : i + chunk]))
    return got, time.perf_counter() - t0
