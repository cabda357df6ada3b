"""The staff control socket: newline-delimited JSON requests, one JSON reply each.

A request is `{"cmd": "...", ...}` on one line (at most MAX_REQUEST bytes); the reply is
`{"ok": true, ...}` or `{"ok": false, "error": "..."}`. A bad request gets an error reply
and a log line; nothing a client sends can stop the daemon. The handler is told who is on
the other end (the kernel's SO_PEERCRED: pid, uid, gid), which no client can forge.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import json
import logging
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend_api.strictjson import JsonRefused, loads

# kioskctl's side (kioskd.control.client), named here too for the code and tests that import it from here
from kioskd.control.client import ControlError as ControlError
from kioskd.control.client import call as call

log = logging.getLogger("kioskd.control.server")

MAX_REQUEST = 64 * 1024  # bytes per request line; kioskctl's requests are far smaller
SOCKET_MODE = 0o660  # owner and the staff group; others cannot connect
IDLE_SECONDS = 300.0  # a connection that sends nothing for this long is closed



@dataclass(frozen=True)
class Peer:
    """The process on the other end of a control connection, as the kernel reports it."""

    pid: int
    uid: int
    gid: int


Handler = Callable[[dict[str, Any], Peer], Awaitable[dict[str, Any]]]


class NotPermitted(ControlError):
    """Refused because the caller's role may not do `action` (the staff page answers 403)."""

    def __init__(self, message: str, action: str = "", roles: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.action, self.roles = action, roles  # what was refused, and the roles that may


class ControlServer:
    """Serves the control socket at `path` with `handler` (request dict -> reply fields)."""

    def __init__(self, path: str | Path, handler: Handler, *, group: str = "") -> None:
        self.path = Path(path)
        self.handler = handler
        self.group = group
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        """Bind the socket (mode 0660, chgrp when a group is set); replace a stale one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(self.path)
        # bind under a temporary name and rename: the socket never exists with a wider mode
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        temp.unlink(missing_ok=True)
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(temp), limit=MAX_REQUEST)
            os.chmod(temp, SOCKET_MODE)
            if self.group:
                os.chown(temp, -1, _gid(self.group))
            os.replace(temp, self.path)
        except BaseException:
            await self.stop()
            temp.unlink(missing_ok=True)
            raise
        log.info("control socket at %s", self.path)

    async def stop(self) -> None:
        """Stop listening, close open connections and remove the socket file."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        for task in list(self._clients):
            task.cancel()
        await asyncio.gather(*self._clients, return_exceptions=True)
        await server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            if self.path.is_socket():
                self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        peer = peer_of(writer)
        try:
            while True:
                try:
                    async with asyncio.timeout(IDLE_SECONDS):
                        line = await reader.readuntil(b"\n")
                except asyncio.IncompleteReadError as err:
                    if err.partial.strip():
                        await _reply(writer, self._bad("request not terminated by a newline"))
                    return
                except asyncio.LimitOverrunError:
                    # the rest of the line cannot be told apart from the next request: close
                    await _reply(writer, self._bad(f"request larger than {MAX_REQUEST} bytes"))
                    return
                except TimeoutError:
                    return
                await _reply(writer, await self.answer(line, peer))
        except (ConnectionError, BrokenPipeError):
            return
        finally:
            self._clients.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def answer(self, line: bytes, peer: Peer) -> dict[str, Any]:
        """The reply to one request line from `peer`."""
        try:
            request = loads(line)
        except JsonRefused as err:  # not JSON at all, or JSON nested too deeply / with a key twice
            plain = str(err).startswith(("not JSON", "not UTF-8"))
            return self._bad("request is not JSON (UTF-8)" if plain else f"request is not JSON we accept: {err}")
        if not isinstance(request, dict):
            return self._bad("request must be a JSON object")
        cmd = request.get("cmd")
        if not isinstance(cmd, str) or not cmd:
            return self._bad("request needs a string 'cmd'")
        try:
            fields = await self.handler(request, peer)
        except ControlError as err:
            log.warning("control: %s refused: %s", cmd, err)
            return {"ok": False, "error": str(err), **({"error_zh": err.zh} if err.zh else {})}
        except Exception:  # the loop boundary of one request: log, answer, keep serving
            log.exception("control: %s failed", cmd)
            return {"ok": False, "error": f"{cmd}: internal error (see the daemon's log)"}
        log.info("control: %s", cmd)
        return {"ok": True, **fields}

    def _bad(self, error: str) -> dict[str, Any]:
        log.warning("control: bad request: %s", error)
        return {"ok": False, "error": error}


async def _reply(writer: asyncio.StreamWriter, reply: dict[str, Any]) -> None:
    writer.write(json.dumps(reply, ensure_ascii=False).encode("utf-8") + b"\n")
    await writer.drain()


def peer_of(writer: asyncio.StreamWriter) -> Peer:
    """The connecting process's credentials (SO_PEERCRED, Linux)."""
    sock = writer.get_extra_info("socket")
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return Peer(*struct.unpack("3i", raw))


def _gid(group: str) -> int:
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise ControlError(f"control.group: no group named {group!r}") from None


def _remove_stale(path: Path) -> None:
    """Remove a socket file no daemon listens on; refuse to take over a live one."""
    if not path.exists() and not path.is_symlink():
        return
    if not path.is_socket():
        raise ControlError(f"control socket {path}: exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink(missing_ok=True)  # left by a daemon that died
        return
    finally:
        probe.close()
    raise ControlError(f"control socket {path}: another kioskd is listening on it")
