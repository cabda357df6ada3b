"""sd_notify in plain Python over $NOTIFY_SOCKET (path and abstract sockets)."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

log = logging.getLogger("kioskd.system.notify")

_shown: tuple[str, str] | None = None  # (socket, STATUS= line) systemd last received from us


def notify(*lines: str) -> bool:
    """Send `READY=1`, `STATUS=...` etc. to systemd; False when not under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    global _shown
    status = next((line for line in lines if line.startswith("STATUS=")), None)
    if status is not None and len(lines) == 1 and _shown == (address, status):
        return True  # systemd shows this already: the daemon publishes a status per snapshot
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            # never block the event loop: a reader that fell behind loses a datagram, not the kiosk
            sock.send("\n".join(lines).encode(), socket.MSG_DONTWAIT)
    except OSError as err:
        log.warning("sd_notify to %s failed: %s", address, err)
        return False
    if status is not None:
        _shown = (os.environ["NOTIFY_SOCKET"], status)
    return True


def watchdog_seconds() -> float | None:
    """systemd's WatchdogSec= for this process (from $WATCHDOG_USEC), or None when it is off."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):  # meant for another process (we were forked or exec'd)
        return None
    return int(usec) / 1_000_000


def status_line(snapshot: dict[str, Any]) -> str:
    """A short systemd STATUS= line for the state on screen."""
    state = snapshot["state"]
    if state.startswith("payment_cash"):
        return f"payment accepting cash ({snapshot['total']} fen)"
    if state == "unavailable" and snapshot.get("unavailable"):
        return f"unavailable: {snapshot['unavailable']['reason']}"
    return state
