"""What a newcomer trips on gets one line that says what to do, through the real commands:
a port in use, a missing or loose key, an unknown note value; a note offered at the idle screen
is reported handed back."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from asyncio.subprocess import PIPE, STDOUT
from pathlib import Path

from kioskd import config as cfg
from kioskd.uplink.keys import init_key
from tests.daemon import ROOT, STEP, start_kiosk
from tests.staff.conftest import Staff


async def kioskd(*argv: str) -> tuple[int, list[str]]:
    """`kioskd ARGV` as a user runs it: (exit code, the lines it wrote)."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "kioskd", *argv, cwd=ROOT,
                                                stdout=PIPE, stderr=STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), STEP)
    return proc.returncode or 0, out.decode().splitlines()


def real_kiosk_config(tmp_path: Path) -> Path:
    """The packaged config of a real kiosk, its state, socket and screen moved into tmp_path."""
    text = (ROOT / "config" / "kioskd.toml").read_text(encoding="utf-8")
    text = text.replace('path = "/var/lib/kioskd"', f'path = "{tmp_path / "state"}"', 1)
    text = text.replace('socket = "/run/kioskd/control.sock"', f'socket = "{tmp_path / "c.sock"}"', 1)
    text = text.replace('listen = "127.0.0.1:8080"', 'listen = "127.0.0.1:0"', 1)
    (tmp_path / "state").mkdir()
    path = tmp_path / "kioskd.toml"
    path.write_text(text, encoding="utf-8")
    assert cfg.load(path).key_path == tmp_path / "state" / "kiosk.key"
    return path


async def test_a_port_in_use_names_the_port_and_the_option(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, lines = await kioskd("run", "--simulate", "--state", str(tmp_path / "s"),
                                   "--listen", f"127.0.0.1:{port}")
    assert code == 1
    assert not any("Traceback" in line for line in lines), "\n".join(lines)
    assert lines[-1] == (f"kioskd: port {port} on 127.0.0.1 is already in use (another kioskd, a second "
                         "`make run`?): stop that one, or choose another port with kioskd run --listen "
                         "127.0.0.1:PORT ([screen] listen)")


async def test_a_missing_or_loose_key_stops_a_real_kiosk_with_exit_78(tmp_path: Path) -> None:
    config = real_kiosk_config(tmp_path)
    key = tmp_path / "state" / "kiosk.key"
    code, lines = await kioskd("run", "--config", str(config))
    # exit 78: systemd's RestartPreventExitStatus, no restart loop
    assert (code, lines) == (cfg.EXIT_CONFIG, [
        f"kioskd: key file {key} does not exist; create it with `kioskctl keys init --key {key}` "
        "and enrol its public key at the backend"])

    init_key(key)
    os.chmod(key, 0o644)
    code, lines = await kioskd("run", "--config", str(config))
    assert (code, lines) == (cfg.EXIT_CONFIG, [
        f"kioskd: key file {key} has mode 0644: group/others may access it; run `chmod 600 {key}`"])


async def test_a_session_at_the_simulated_kiosk_logs_what_matters_once(tmp_path: Path) -> None:
    kiosk = await start_kiosk(tmp_path / "s")
    staff = Staff(kiosk)
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        # an unknown note value lists the ones there are
        code, out = await staff.run("sim", "insert", "7")
        assert (code, out) == (1, "kioskctl: no note of 700 fen: the validator takes notes of "
                                  "1, 5, 10, 20, 50, 100 yuan (or -1 for a counterfeit)\n")
        # at the idle screen the validator takes nothing: the note is handed back, and said so
        code, out = await staff.run("sim", "insert", "100", "--lang", "en")
        assert (code, out) == (0, "handed back: the kiosk takes no notes now (idle, waiting for a customer), "
                                  "only at a payment's cash step\n")
        # keys the idle screen ignores, and 10,000 keys the screen refuses
        await kiosk.press("cancel", "finish", "cancel")
        async with kiosk._session.ws_connect(kiosk.url + "ws" + kiosk.key) as ws:
            for _ in range(10_000):
                await ws.send_json({"key": "not-a-key"})
            await ws.send_json({"key": "lang"})  # a good key after them: all were read
            await kiosk.until(lambda s: s["locale"] == "en", "the language key")

        # a payment: the note inserted from kioskctl counts, and its end is one INFO line
        await kiosk.press(*"0012345678", "confirm")
        await kiosk.until(lambda s: s["state"] == "payment_confirm", "the confirmation")
        await kiosk.press("confirm")
        await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash screen")
        code, out = await staff.run("sim", "insert", "100", "--lang", "en")
        assert (code, out) == (0, "inserted 100.00 CNY\n")
        await kiosk.until(lambda s: s["total"] == 10000 and s["state"] == "payment_cash_waiting", "the note")
        await kiosk.press("finish")
        done = await kiosk.until(lambda s: s["state"] == "payment_done", "the result")
    finally:
        stopped = await kiosk.stop()
    assert stopped == 0 and kiosk.drain is not None
    await asyncio.wait_for(kiosk.drain, STEP)  # the daemon's last lines are in the file
    log = (tmp_path / "daemon.log").read_text(encoding="utf-8").splitlines()

    refused = [line for line in log if "refused key 'not-a-key'" in line]
    assert len(refused) == 2, refused  # the first, and the count written at stop
    assert "(repeated 9,999 times in " in refused[1], refused
    assert not [line for line in log if "Can't trigger" in line or ("WARNING" in line and "ignored" in line)]
    result = done["result"]
    ended = [line for line in log if " INFO " in line and "payment #" in line]
    assert len(ended) == 1 and ended[0].endswith(
        f"payment #{result['seq']} credited: txn {result['txn']}, account ******5678, 10000 fen, "
        f"ref {result['ref']}"), ended


def test_a_reader_that_stops_reading_ends_kioskctl_quietly(tmp_path: Path) -> None:
    """`kioskctl ... | head`: the pipe's reader is gone before kioskctl writes; no traceback, no error line."""
    key = tmp_path / "kiosk.key"
    init_key(key)
    read_end, write_end = os.pipe()
    os.close(read_end)  # closed before kioskctl starts: its first write meets a pipe nobody reads
    try:
        done = subprocess.run([sys.executable, "-m", "kioskd.cli.main", "keys", "show", "--key", str(key)],
                              cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE, timeout=STEP, check=False)
    finally:
        os.close(write_end)
    assert done.returncode == 141 and done.stderr.decode() == ""
