"""kioskctl's side of the control socket: one JSON line sent, one read back (blocking, no asyncio).

Kept apart from kioskd.control.server so a command line that only asks the daemon imports
neither asyncio nor the server."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any


class ControlError(Exception):
    """A request the daemon refuses; str() is the reply's `error`, `zh` (when given) its `error_zh`."""

    def __init__(self, message: str, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh


def call(path: str | Path, request: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
    """Send one request to the daemon and return its reply (blocking; for kioskctl)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except FileNotFoundError:
            raise ControlError(f"no control socket at {path}: is kioskd running?",
                               f"{path} 处没有控制套接字：kioskd 是否在运行？") from None
        except PermissionError:
            raise ControlError(f"control socket {path}: permission denied (are you in the staff group?)",
                               f"控制套接字 {path}：无权访问（是否在员工组中？）") from None
        except ConnectionRefusedError:
            raise ControlError(f"control socket {path}: nobody listening (kioskd stopped?)",
                               f"控制套接字 {path}：无人监听（kioskd 已停止？）") from None
        sock.sendall(json.dumps(request, ensure_ascii=False).encode("utf-8") + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                raise ControlError(f"control socket {path}: the daemon closed the connection",
                                   f"控制套接字 {path}：kioskd 关闭了连接")
            data += chunk
    reply = json.loads(data.decode("utf-8"))
    if not isinstance(reply, dict):
        raise ControlError(f"control socket {path}: reply is not a JSON object", f"控制套接字 {path}：回复不是 JSON 对象")
    return reply
