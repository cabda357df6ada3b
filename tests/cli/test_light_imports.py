"""kioskctl's commands that only ask the daemon start without the server's code: no aiohttp, no
journal (sqlite-utils, the Ledger), no cryptography, no state machine. Staff on a slow board wait
for every import (bench/kioskctl_start.py measures it); this keeps the gain from rotting."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.daemon import ROOT

# What a socket-only command must not load (each was loaded by `kioskctl status` before)
SERVER_ONLY = ("aiohttp", "sqlite_utils", "kioskd.ledger.ledger", "cryptography", "transitions",
               "kioskd.control.server", "kioskd.hall.alerts", "kioskd.uplink.outbox", "asyncio")

# Runs kioskctl's main() in a fresh interpreter, then prints its exit status and the modules above it loaded
PROBE = """
import json, sys
from kioskd.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as done:  # --help and usage errors end in argparse
    code = done.code
sys.stdout.flush()
heavy = json.loads({heavy!r})
print(json.dumps({{"code": code, "loaded": [m for m in heavy if m in sys.modules]}}), file=sys.stderr)
"""


def kioskctl(*args: str) -> tuple[dict, str]:
    """kioskctl ARGS in a fresh interpreter: its exit status and loaded heavy modules, and its other stderr."""
    probe = PROBE.format(heavy=json.dumps(SERVER_ONLY))
    done = subprocess.run([sys.executable, "-c", probe, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    *said, verdict = done.stderr.strip().splitlines()
    return json.loads(verdict), "\n".join(said)


def refusing_daemon(path: Path) -> threading.Thread:
    """A control socket that answers one request with a refusal, as a daemon refuses a staff member."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def answer() -> None:
        with server, server.accept()[0] as conn:
            data = b""
            while not data.endswith(b"\n"):
                data += conn.recv(65536)
            conn.sendall(json.dumps({"ok": False, "error": "not allowed", "error_zh": "无权操作"}).encode() + b"\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("command", [("status",), ("alerts",), ("txn", "list"), ("report", "daily")])
def test_a_refused_socket_command_loads_no_server_code(tmp_path: Path, command: tuple[str, ...]) -> None:
    sock = tmp_path / "control.sock"
    thread = refusing_daemon(sock)
    verdict, said = kioskctl(*command, "--socket", str(sock), "--lang", "en")
    thread.join(10)
    assert verdict["code"] == 1 and said == "kioskctl: not allowed"  # the daemon's refusal, as staff read it
    assert verdict["loaded"] == []


def test_status_without_a_daemon_loads_no_server_code(tmp_path: Path) -> None:
    verdict, said = kioskctl("status", "--socket", str(tmp_path / "none.sock"))
    assert verdict["code"] == 3 and "kioskd 是否在运行" in said  # the one-line error, unchanged
    assert verdict["loaded"] == []


def test_help_loads_no_server_code() -> None:
    verdict, _ = kioskctl("--help")
    assert verdict["code"] == 0
    assert verdict["loaded"] == []
