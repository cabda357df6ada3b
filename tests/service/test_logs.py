"""A flood of one warning is a few lines and a count; other lines pass untouched."""

from __future__ import annotations

import io
import logging

from kioskd.system.logs import RepeatFilter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_logger(name: str) -> tuple[logging.Logger, io.StringIO, RepeatFilter, Clock]:
    out, clock = io.StringIO(), Clock()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    repeats = RepeatFilter(handler, window=60.0, burst=3, clock=clock)
    handler.addFilter(repeats)
    logger = logging.getLogger(name)
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.DEBUG
    return logger, out, repeats, clock


def test_the_same_warning_is_written_once_a_window_then_counted() -> None:
    log, out, repeats, clock = make_logger("test.logs.same")
    for _ in range(10_000):
        log.warning("screen: refused key %r from %s", "x", "websocket")
    log.info("an info line")
    assert out.getvalue().splitlines() == ["WARNING screen: refused key 'x' from websocket", "INFO an info line"]
    clock.now += 61  # the window is over: the next line (of any kind) brings the count first
    log.warning("alert raised: %s", "note_jam")
    log.warning("screen: refused key %r from %s", "x", "websocket")
    assert out.getvalue().splitlines()[2:] == [
        "WARNING screen: refused key 'x' from websocket (repeated 9,999 times in 61 s)",
        "WARNING alert raised: note_jam",
        "WARNING screen: refused key 'x' from websocket",  # a new window starts with a line
    ]
    repeats.flush()
    assert len(out.getvalue().splitlines()) == 5  # nothing left to count


def test_a_warning_of_one_kind_with_many_arguments_is_let_through_a_few_times() -> None:
    log, out, repeats, clock = make_logger("test.logs.kind")
    for i in range(10_000):
        log.warning("screen: refused key %r from %s", f"k{i}", "POST /key")
    log.warning("printer: offline")  # another kind is not held back
    clock.now += 5
    repeats.flush()  # at stop
    assert out.getvalue().splitlines() == [
        "WARNING screen: refused key 'k0' from POST /key",
        "WARNING screen: refused key 'k1' from POST /key",
        "WARNING screen: refused key 'k2' from POST /key",
        "WARNING printer: offline",
        "WARNING screen: refused key 'k9999' from POST /key (9,997 more like it in 5 s, the last one)",
    ]


def test_info_lines_and_distinct_warnings_are_never_held() -> None:
    log, out, _, _ = make_logger("test.logs.info")
    for i in range(100):
        log.info("payment #%d credited", i)
    assert len(out.getvalue().splitlines()) == 100
