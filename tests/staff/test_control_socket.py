"""The control socket protocol: replies, refusals, limits, file mode, other users kept out."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kioskd.control.server import MAX_REQUEST, ControlError, ControlServer, call


async def handler(request: dict[str, Any], peer: Any) -> dict[str, Any]:
    if request["cmd"] == "echo":
        return {"echo": request.get("text")}
    if request["cmd"] == "refuse":
        raise ControlError("refused on purpose")
    raise RuntimeError("a bug in a handler")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ControlServer]:
    srv = ControlServer(tmp_path / "run" / "control.sock", handler)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


async def exchange(path: Path, *lines: bytes) -> list[dict[str, Any]]:
    reader, writer = await asyncio.open_unix_connection(str(path))
    replies = []
    try:
        for line in lines:
            writer.write(line)
            await writer.drain()
            async with asyncio.timeout(5):
                raw = await reader.readline()
            replies.append(json.loads(raw) if raw else {"closed": True})
    finally:
        writer.close()
    return replies


async def test_replies_and_refusals_on_one_connection(server: ControlServer) -> None:
    replies = await exchange(
        server.path,
        b'{"cmd": "echo", "text": "\xe4\xbd\xa0\xe5\xa5\xbd"}\n',
        b"not json\n",
        b"[1, 2]\n",
        b'{"text": "no cmd"}\n',
        b'{"cmd": 7}\n',
        b"\xff\xfe\n",
        b'{"cmd": "refuse"}\n',
        b'{"cmd": "crash"}\n',
        b'{"cmd": "echo", "text": "still here"}\n',
    )
    assert replies[0] == {"ok": True, "echo": "你好"}
    assert replies[1]["ok"] is False and replies[1]["error"].startswith("request is not JSON (UTF-8)")
    assert replies[2] == {"ok": False, "error": "request must be a JSON object"}
    assert replies[3]["error"] == replies[4]["error"] == "request needs a string 'cmd'"
    assert replies[5]["ok"] is False and replies[5]["error"].startswith("request is not JSON (UTF-8)")
    assert replies[6] == {"ok": False, "error": "refused on purpose"}
    assert replies[7] == {"ok": False, "error": "crash: internal error (see the daemon's log)"}
    assert replies[8] == {"ok": True, "echo": "still here"}


async def test_oversized_request_is_refused_and_the_server_keeps_serving(server: ControlServer) -> None:
    big = b'{"cmd": "echo", "text": "' + b"x" * (MAX_REQUEST + 10) + b'"}\n'
    replies = await exchange(server.path, big)
    assert replies == [{"ok": False, "error": f"request larger than {MAX_REQUEST} bytes"}]
    assert await asyncio.to_thread(call, server.path, {"cmd": "echo", "text": "after"}) == {
        "ok": True, "echo": "after"}


async def test_unterminated_request_gets_an_error(server: ControlServer) -> None:
    reader, writer = await asyncio.open_unix_connection(str(server.path))
    writer.write(b'{"cmd": "echo"}')
    writer.write_eof()
    async with asyncio.timeout(5):
        reply = json.loads(await reader.readline())
    writer.close()
    assert reply == {"ok": False, "error": "request not terminated by a newline"}


async def test_socket_mode_is_0660_and_stop_removes_it(server: ControlServer) -> None:
    mode = stat.S_IMODE(os.stat(server.path).st_mode)
    assert mode == 0o660
    await server.stop()
    assert not server.path.exists()


async def test_a_stale_socket_is_replaced_a_live_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "control.sock"
    first = ControlServer(path, handler)
    await first.start()
    try:
        with pytest.raises(ControlError, match="another kioskd is listening"):
            await ControlServer(path, handler).start()
    finally:
        await first.stop()
    import socket

    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))  # a socket file left by a daemon that died
    stale.close()
    second = ControlServer(path, handler)
    await second.start()
    try:
        assert (await asyncio.to_thread(call, path, {"cmd": "echo", "text": "x"}))["ok"] is True
    finally:
        await second.stop()


async def test_kioskctl_side_says_when_no_daemon_runs(tmp_path: Path) -> None:
    with pytest.raises(ControlError, match="is kioskd running"):
        call(tmp_path / "none.sock", {"cmd": "status"})


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another uid (os.setuid in a child)")
async def test_a_user_outside_the_group_cannot_connect(server: ControlServer, tmp_path: Path) -> None:
    # the socket's directory must be reachable, so only the socket's own mode decides
    os.chmod(tmp_path, 0o755)
    os.chmod(server.path.parent, 0o755)
    nobody = 65534
    pid = os.fork()
    if pid == 0:  # child: become nobody (not owner, not in the group) and try
        code = 3
        try:
            os.setgroups([])
            os.setgid(nobody)
            os.setuid(nobody)
            try:
                call(server.path, {"cmd": "echo", "text": "x"}, timeout=5)
                code = 1  # connected: the mode did not keep us out
            except ControlError as err:
                code = 0 if "permission denied" in str(err) else 2
        finally:
            os._exit(code)
    _, status = await asyncio.to_thread(os.waitpid, pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # and the owner still can
    assert (await asyncio.to_thread(call, server.path, {"cmd": "echo", "text": "me"}))["echo"] == "me"


async def test_sim_commands_are_refused_on_a_real_kiosk(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from kioskd.config import from_dict
    from kioskd.control.handlers import Handlers

    config = from_dict({"kiosk": {"id": "K-1", "name": "hall"}, "validator": {"port": "/dev/x"},
                        "printer": {"port": "/dev/y"}, "backend": {"url": "http://127.0.0.1:1/"},
                        "keypad": {"driver": "screen"}, "storage": {"path": str(tmp_path)}})
    handlers = Handlers(SimpleNamespace(config=config, sim=None, ledger=None))  # no journal: no staff
    for request in ({"cmd": "sim_insert", "value": 10000}, {"cmd": "sim_fault", "name": "silence", "on": True}):
        with pytest.raises(ControlError, match="only in simulate mode"):
            await handlers.handle(request)
    with pytest.raises(ControlError, match="unknown cmd 'reboot'"):
        await handlers.handle({"cmd": "reboot"})
