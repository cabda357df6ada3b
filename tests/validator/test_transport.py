"""Serial transport: the pty parity rule, a real byte exchange and the backoff sequence."""

from __future__ import annotations

import asyncio
import os
import tty

import pytest

from drivers.errors import DeviceUnavailable
from drivers.transport import Backoff, close_serial, effective_parity, is_pty, open_serial


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    tty.setraw(master)
    path = os.ttyname(slave)
    yield master, path
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


def test_pty_rule(pty_pair, tmp_path):
    _, path = pty_pair
    link = tmp_path / "validator"
    link.symlink_to(path)
    assert is_pty(path) and is_pty(str(link))
    assert effective_parity(str(link), "E") == "N"
    assert effective_parity("/dev/ttyS0", "E") == "E"
    assert effective_parity("loop://", "E") == "E"


async def test_even_parity_on_a_pty_opens_and_exchanges_bytes(pty_pair):
    master, path = pty_pair
    reader, writer = await open_serial(path, parity="E")
    try:
        writer.write(b"\xfc\x05\x11\x27\x56")
        await writer.drain()
        got = await asyncio.wait_for(asyncio.to_thread(os.read, master, 16), 2)
        assert got == b"\xfc\x05\x11\x27\x56"
        os.write(master, b"\xfc\x05\x1a\xf4\xe8")
        assert await asyncio.wait_for(reader.readexactly(5), 2) == b"\xfc\x05\x1a\xf4\xe8"
    finally:
        await close_serial(writer)


async def test_missing_port_raises_device_unavailable_naming_it(tmp_path):
    missing = str(tmp_path / "nope")
    with pytest.raises(DeviceUnavailable, match="nope"):
        await open_serial(missing)


def test_backoff_grows_to_the_cap_and_resets():
    b = Backoff(initial=0.1, maximum=1.0, factor=2.0, jitter=0.0)
    assert [b.next_delay() for _ in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    b.reset()
    assert b.next_delay() == 0.1
    jittered = Backoff(initial=1.0, maximum=1.0, jitter=0.2)
    assert all(0.8 <= jittered.next_delay() <= 1.2 for _ in range(50))
    with pytest.raises(ValueError):
        Backoff(initial=0)
