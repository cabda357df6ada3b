"""`kioskctl difference list --csv` without --limit exports every difference for the accountant, a page
per request written as it comes (one header row), over a real control socket and journal; with --limit
it is that page, as the table is."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from kioskd.cli import registers as cli_registers
from kioskd.cli.main import main as kioskctl
from kioskd.control.handlers import Handlers
from kioskd.control.server import ControlServer
from kioskd.hall.export import REGISTER_COLUMNS
from kioskd.hall.registers.differences import Differences
from tests.registers.test_open_summary import counted
from tests.staffpage.conftest import STAFF, running_page


async def _kioskctl(socket: Path, *argv: str, monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """kioskctl in this process (its socket calls in a thread, the control server on this loop) as 2001."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(STAFF["2001"][2] + "\n"))
    code = await asyncio.to_thread(kioskctl, [*argv, "--socket", str(socket), "--as", "2001", "--secret-stdin"])
    out = capsys.readouterr()
    return code, out.out, out.err


async def test_the_csv_export_holds_every_difference_across_pages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    async with running_page(tmp_path) as page:
        d = page.daemon
        d.registers = SimpleNamespace(differences=Differences(d.ledger, d.config.kiosk.tz))
        nos = [*await counted(d.ledger, "s-1", 1500), *await counted(d.ledger, "s-2", 700)]
        server = ControlServer(tmp_path / "control.sock", Handlers(d).handle)
        await server.start()
        asked = []
        real_call = cli_registers.call

        def counting_call(path: object, request: dict) -> dict:
            asked.append(request.get("after"))
            return real_call(path, request)

        monkeypatch.setattr(cli_registers, "call", counting_call)
        try:
            code, out, err = await _kioskctl(server.path, "difference", "list", "--csv",
                                             monkeypatch=monkeypatch, capsys=capsys)
            assert code == 0 and err == ""  # the whole list: no "next page" hint
            rows = list(csv.reader(io.StringIO(out)))
            assert rows[0] == list(REGISTER_COLUMNS["differences"])
            assert [int(r[0]) for r in rows[1:]] == nos  # each once, in number order, header once
            assert asked == [None, nos[999], nos[1999]]  # three pages of 1,000 at most, not all at once
            code, out, err = await _kioskctl(server.path, "difference", "list", "--csv", "--after", str(nos[2099]),
                                             monkeypatch=monkeypatch, capsys=capsys)
            assert [int(r[0]) for r in list(csv.reader(io.StringIO(out)))[1:]] == nos[2100:]
            code, out, err = await _kioskctl(server.path, "difference", "list", "--csv", "--limit", "5",
                                             monkeypatch=monkeypatch, capsys=capsys)
            assert [int(r[0]) for r in list(csv.reader(io.StringIO(out)))[1:]] == nos[:5]
            assert f"--after {nos[4]}" in err  # a page asked for names the next one, as the table does
        finally:
            await server.stop()
