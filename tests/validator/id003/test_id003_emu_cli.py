"""The emulator as its own process: pty link, JSON control socket, persisted stacked notes."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from drivers.base import DeviceOnline, NoteEscrowed, NoteStacked
from drivers.validator.id003_device import Id003Validator


async def control(sock: str, req: dict) -> dict:
    reader, writer = await asyncio.open_unix_connection(sock)
    writer.write(json.dumps(req).encode() + b"\n")
    line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    return json.loads(line)


async def test_cli_emulator_stacks_a_note_and_keeps_the_count(tmp_path):
    link, sock, state = tmp_path / "val", tmp_path / "ctl.sock", tmp_path / "state.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "drivers.validator.emulators.id003_emu", "--link", str(link),
        "--control", str(sock), "--state", str(state))
    try:
        deadline = time.monotonic() + 10
        while not (sock.exists() and link.exists()):
            assert time.monotonic() < deadline and proc.returncode is None, "emulator did not start"
            await asyncio.sleep(0.02)  # waiting for another process to create its files
        drv = Id003Validator(str(link), poll_interval=0.02, reply_timeout=0.2)
        online, stacked = asyncio.Event(), asyncio.Event()

        def sink(event):
            if isinstance(event, DeviceOnline):
                online.set()
            elif isinstance(event, NoteEscrowed):
                asyncio.get_running_loop().create_task(drv.stack())
            elif isinstance(event, NoteStacked):
                stacked.set()

        async def commit(credit):
            pass

        task = asyncio.create_task(drv.run(sink, commit))
        try:
            await asyncio.wait_for(online.wait(), 5)
            await drv.set_accepting(True)
            assert (await control(str(sock), {"cmd": "insert", "value": 5000}))["ok"]
            await asyncio.wait_for(stacked.wait(), 5)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert (await control(str(sock), {"cmd": "stats"}))["stacked"] == [5000]
        assert json.loads(state.read_text())["stacked"] == [5000]
        assert not (await control(str(sock), {"cmd": "insert", "value": 123}))["ok"]
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 5)
