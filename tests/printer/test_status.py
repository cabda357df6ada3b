"""DLE EOT replies -> PrinterStatus, as a table; no answer is never "paper OK"."""

from __future__ import annotations

import asyncio
import os
import tty
from collections.abc import AsyncIterator

import pytest

from drivers.base import PrinterStatus
from drivers.printer.escpos import EscposPrinter, is_status_byte, parse_status


@pytest.mark.parametrize(
    ("replies", "online", "cover_open", "paper"),
    [
        ((0x12, 0x12, 0x12), True, False, "ok"),
        ((0x12, 0x12, 0x1E), True, False, "low"),  # n=4 bits 2,3: near end
        ((0x12, 0x12, 0x16), True, False, "low"),  # only one near-end sensor bit
        ((0x1A, 0x32, 0x7E), False, False, "out"),  # offline, stopped by paper end, roll end
        ((0x1A, 0x12, 0x72), False, False, "out"),
        ((0x1A, 0x32, None), False, False, "out"),  # n=2 says paper end even without n=4
        ((0x1A, 0x16, 0x12), False, True, "ok"),  # cover open
        ((0x12, None, None), True, None, "unknown"),
        ((None, None, None), None, None, "unknown"),
    ],
)
def test_parse_status(replies: tuple[int | None, ...], online: bool | None, cover_open: bool | None, paper: str) -> None:
    assert parse_status("printer", *replies) == PrinterStatus(
        "printer", online=online, cover_open=cover_open, paper=paper  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("value", "ok"), [(0x12, True), (0x1A, True), (0x7E, True), (0x00, False), (0xFF, False), (0x13, False), (0x92, False)]
)
def test_status_bytes_have_fixed_bits(value: int, ok: bool) -> None:
    assert is_status_byte(value) is ok


class RawPty:
    """A bare pty whose far end answers each DLE EOT with the bytes `answer` returns."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.port = os.ttyname(self.slave)
        asyncio.get_running_loop().add_reader(self.master, self._on_read)

    def _on_read(self) -> None:
        data = os.read(self.master, 1024)
        for _ in range(data.count(b"\x10\x04")):
            os.write(self.master, self.answer)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.master)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
async def noisy_pty() -> AsyncIterator[RawPty]:
    pty = RawPty(b"\x00\xff\x12")  # two bytes of line noise, then "online, all fine"
    yield pty
    pty.close()


@pytest.fixture
async def silent_pty() -> AsyncIterator[RawPty]:
    pty = RawPty(b"")
    yield pty
    pty.close()


async def test_noise_before_a_reply_is_dropped_and_counted(noisy_pty: RawPty) -> None:
    printer = EscposPrinter(noisy_pty.port, reply_timeout=0.5)
    try:
        status = await printer.status()
    finally:
        await printer.close()
    assert status == PrinterStatus("printer", online=True, cover_open=False, paper="ok")
    assert printer.bad_replies == 6  # two noise bytes for each of the three queries


async def test_no_answer_is_unknown_not_ok(silent_pty: RawPty) -> None:
    printer = EscposPrinter(silent_pty.port, reply_timeout=0.05)
    try:
        status = await printer.status()
    finally:
        await printer.close()
    assert status == PrinterStatus("printer", online=None, cover_open=None, paper="unknown")
    assert "no answer to DLE EOT 1" in printer.last_error


async def test_missing_port_is_unknown_and_says_why() -> None:
    printer = EscposPrinter("/dev/nonexistent-printer", name="receipt-printer")
    status = await printer.status()
    assert status == PrinterStatus("receipt-printer")
    assert printer.last_error.startswith("receipt-printer: cannot open serial /dev/nonexistent-printer")
