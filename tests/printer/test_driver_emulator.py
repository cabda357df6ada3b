"""The real driver against the emulator over a pty (and TCP, and a USB-style plain file)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest

from backend_api.receipt_proof import proof_in, verify_proof
from drivers.base import DeviceEvent, DeviceOffline, DeviceOnline, PrinterStatus
from drivers.errors import DeviceUnavailable
from drivers.printer.emulator import EscposEmulator
from drivers.printer.escpos import EscposPrinter, PrinterNotReady
from kioskd.customer.receipts.layout import print_receipt, receipt_lines, render_receipt
from kioskd.system.watchdog import heartbeat_probe
from tests.receipts.sample import CREDITED, KEY, PENDING

FAST = {"reply_timeout": 0.1}


@pytest.fixture
async def emulator() -> AsyncIterator[EscposEmulator]:
    emu = EscposEmulator()
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def printer(emulator: EscposEmulator) -> AsyncIterator[EscposPrinter]:
    driver = EscposPrinter(emulator.port, **FAST)
    yield driver
    await driver.close()


async def test_zh_receipt_prints_and_decodes_back_to_the_same_lines(
    emulator: EscposEmulator, printer: EscposPrinter
) -> None:
    assert await print_receipt(printer, CREDITED, locale="zh-CN", encoding="gb18030", key=KEY)
    await emulator.wait_until(lambda: emulator.receipts)
    [receipt] = emulator.receipts
    assert receipt.lines == receipt_lines(CREDITED, locale="zh-CN")
    assert "合计: 150.00 元" in receipt.lines
    # The QR the customer holds verifies with the kiosk's public key.
    [proof] = receipt.qr
    assert verify_proof(proof, KEY.public_key())["amount"] == 15000


async def test_with_a_receipt_url_the_qr_code_opens_the_receipt_at_the_backend(
    emulator: EscposEmulator, printer: EscposPrinter
) -> None:
    linked = dataclasses.replace(CREDITED, link="https://billing.example/r/")
    assert await print_receipt(printer, linked, locale="zh-CN", encoding="gb18030", key=KEY)
    await emulator.wait_until(lambda: emulator.receipts)
    [url] = emulator.receipts[0].qr
    assert url.startswith("https://billing.example/r/K1.")
    assert verify_proof(proof_in(url), KEY.public_key())["seq"] == CREDITED.seq


@pytest.mark.parametrize("tcp", [False, True], ids=["pty-usb-file", "tcp"])
async def test_en_receipt_over_usb_file_and_tcp(tcp: bool) -> None:
    emu = EscposEmulator(tcp=tcp)
    await emu.start()
    # A pty path opened as a plain non-blocking file is how /dev/usb/lp* is driven.
    printer = EscposPrinter(emu.port, transport="tcp" if tcp else "usb", **FAST)
    try:
        assert await print_receipt(printer, PENDING, locale="en", encoding="gb18030", key=KEY)
        await emu.wait_until(lambda: emu.receipts)
    finally:
        await printer.close()
        await emu.stop()
    lines = emu.receipts[0].lines
    assert lines == receipt_lines(PENDING, locale="en")
    assert "Crediting pending, reference 18" in lines
    assert "补打 DUPLICATE 2" in lines


@pytest.mark.parametrize(
    ("switch", "expected"),
    [
        ("paper_low", PrinterStatus("printer", online=True, cover_open=False, paper="low")),
        ("paper_out", PrinterStatus("printer", online=False, cover_open=False, paper="out")),
        ("cover_open", PrinterStatus("printer", online=False, cover_open=True, paper="ok")),
        ("offline", PrinterStatus("printer", online=None, cover_open=None, paper="unknown")),
    ],
)
async def test_status_follows_the_switches(
    emulator: EscposEmulator, printer: EscposPrinter, switch: str, expected: PrinterStatus
) -> None:
    setattr(emulator, switch, True)
    assert await printer.status() == expected


@pytest.mark.parametrize("switch", ["paper_out", "cover_open", "offline"])
async def test_print_receipt_refuses_when_not_ready_and_sends_nothing(
    emulator: EscposEmulator, printer: EscposPrinter, switch: str
) -> None:
    setattr(emulator, switch, True)
    assert not await print_receipt(printer, CREDITED, locale="zh-CN", encoding="gb18030", key=KEY)
    setattr(emulator, switch, False)
    await printer.status()  # a round trip: anything sent before it has been decoded by now
    assert emulator.receipts == []
    assert emulator.dropped == []


async def test_paper_running_out_during_a_job_is_an_error(
    emulator: EscposEmulator, printer: EscposPrinter
) -> None:
    await printer.status()
    emulator.paper_out = True  # the roll ends after the status check, before the job
    job = render_receipt(CREDITED, locale="zh-CN", encoding="gb18030", key=KEY)
    with pytest.raises(PrinterNotReady, match="may be incomplete: paper=out") as caught:
        await printer.print_bytes(job, job="receipt 17")
    assert caught.value.status.paper == "out"
    assert len(emulator.dropped) == 1 and emulator.receipts == []


async def test_printer_gone_silent_after_a_job_is_unavailable(
    emulator: EscposEmulator, printer: EscposPrinter
) -> None:
    await printer.status()
    emulator.offline = True
    with pytest.raises(DeviceUnavailable, match="no answer after job"):
        await printer.print_bytes(b"hello\n\x1dV\x00", job="test")


async def test_print_to_a_missing_port_is_unavailable() -> None:
    printer = EscposPrinter("/dev/nonexistent-printer")
    with pytest.raises(DeviceUnavailable, match="printer: cannot open serial"):
        await printer.print_bytes(b"x\n")


class Events:
    """A sink that lets a test wait for the n-th event."""

    def __init__(self) -> None:
        self.events: list[DeviceEvent] = []
        self.changed = asyncio.Event()

    def __call__(self, event: DeviceEvent) -> None:
        self.events.append(event)
        self.changed.set()

    async def wait_count(self, n: int) -> None:
        async with asyncio.timeout(5):
            while len(self.events) < n:
                self.changed.clear()
                await self.changed.wait()


async def test_run_reports_offline_and_back_once_each_way(emulator: EscposEmulator) -> None:
    # the answering emulator must answer within the timeout even on a loaded CI machine (at 0.05 s
    # one cover answer came late there, read as "unknown"); only the silent polls wait it out
    printer = EscposPrinter(emulator.port, status_interval=0.02, reply_timeout=0.5)
    sink = Events()
    task = asyncio.create_task(printer.run(sink))
    try:
        await sink.wait_count(2)  # online + first status
        emulator.offline = True
        await sink.wait_count(4)  # offline + unknown status
        # Several more silent polls must add nothing.
        seen = len(emulator.queries)
        await emulator.wait_until(lambda: len(emulator.queries) >= seen + 4)
        assert len(sink.events) == 4
        emulator.offline = False
        await sink.wait_count(6)  # online again + its status
        emulator.paper_low = True
        await sink.wait_count(7)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    ok = PrinterStatus("printer", online=True, cover_open=False, paper="ok")
    assert sink.events[0] == DeviceOnline("printer", detail=f"serial {emulator.port}")
    assert sink.events[1] == ok
    assert isinstance(sink.events[2], DeviceOffline)
    assert sink.events[2].reason == "printer: no answer to DLE EOT 1"
    assert sink.events[3] == PrinterStatus("printer")
    assert isinstance(sink.events[4], DeviceOnline)
    assert sink.events[5] == ok
    assert sink.events[6] == PrinterStatus("printer", online=True, cover_open=False, paper="low")


async def test_a_hung_printer_loop_stops_its_watchdog_heartbeat(emulator: EscposEmulator) -> None:
    printer = EscposPrinter(emulator.port, status_interval=0.02, reply_timeout=0.05)
    probe = heartbeat_probe("printer status", printer, stall_after=0.5)
    sink = Events()
    task = asyncio.create_task(printer.run(sink))

    async def until_probe(healthy: bool) -> str | None:
        async with asyncio.timeout(5):
            # a stall is time passing without progress: there is no event to wait on
            while (probe.check() is None) != healthy:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        return probe.check()

    try:
        await sink.wait_count(2)
        assert await until_probe(True) is None
        async with printer._lock:  # a job whose write never completes holds the port
            reason = await until_probe(False)
            assert reason is not None and reason.startswith("no progress for")
        assert await until_probe(True) is None  # the loop goes round again
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
