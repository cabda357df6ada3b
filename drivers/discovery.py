"""Find serial devices by USB VID/PID/serial: udev properties, sysfs attributes, configured port.

udev (pyudev) is asked when udevd runs (/run/udev/control exists); otherwise sysfs is walked
directly: /sys/class/tty/<name>/device resolves into the USB interface, whose parents carry
idVendor, idProduct and serial. The configured port is the last resort.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UsbMatch:
    """What to look for; None matches anything."""

    vid: int | None = None
    pid: int | None = None
    serial: str | None = None

    def matches(self, port: FoundPort) -> bool:
        """True when `port` has the wanted ids."""
        return ((self.vid is None or self.vid == port.vid)
                and (self.pid is None or self.pid == port.pid)
                and (self.serial is None or self.serial == port.serial))


@dataclass(frozen=True)
class FoundPort:
    """A serial device node and the USB ids behind it; `source` says how it was found."""

    devnode: str
    vid: int | None = None
    pid: int | None = None
    serial: str | None = None
    source: str = "sysfs"


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _hex(text: str | None) -> int | None:
    try:
        return int(text, 16) if text else None
    except ValueError:
        return None


def scan_sysfs(sysfs_root: str = "/sys", dev_root: str = "/dev") -> list[FoundPort]:
    """Every tty under sysfs_root/class/tty that sits on a USB device, with its ids."""
    found: list[FoundPort] = []
    tty_dir = Path(sysfs_root, "class", "tty")
    if not tty_dir.is_dir():
        return found
    root = Path(sysfs_root).resolve()
    for entry in sorted(tty_dir.iterdir()):
        device = entry / "device"
        if not device.exists():
            continue  # virtual consoles and ptys have no device
        node = device.resolve()
        # Walk up from the interface to the USB device that carries idVendor.
        while node != root and node != node.parent:
            vid = _read(node / "idVendor")
            if vid is not None:
                found.append(FoundPort(
                    devnode=os.path.join(dev_root, entry.name),
                    vid=_hex(vid), pid=_hex(_read(node / "idProduct")),
                    serial=_read(node / "serial"), source="sysfs"))
                break
            node = node.parent
    return found


def scan_udev() -> list[FoundPort]:
    """Every tty udev knows with USB ids (needs a running udevd)."""
    import pyudev  # imported here: only hosts with udevd need it loaded

    found = []
    for dev in pyudev.Context().list_devices(subsystem="tty"):
        props = dev.properties
        if "ID_VENDOR_ID" not in props or not dev.device_node:
            continue
        found.append(FoundPort(
            devnode=dev.device_node, vid=_hex(props.get("ID_VENDOR_ID")),
            pid=_hex(props.get("ID_MODEL_ID")), serial=props.get("ID_SERIAL_SHORT"),
            source="udev"))
    return found


def udev_running() -> bool:
    """True when udevd runs (its control socket exists)."""
    return os.path.exists("/run/udev/control")


def scan(*, sysfs_root: str = "/sys", dev_root: str = "/dev",
         use_udev: bool | None = None) -> list[FoundPort]:
    """All USB serial ports, from udev when it runs (or use_udev=True), else from sysfs."""
    if use_udev if use_udev is not None else udev_running():
        try:
            return scan_udev()
        except Exception as err:  # pyudev/libudev missing or broken: sysfs still works
            log.warning("udev scan failed (%s); reading sysfs", err)
    return scan_sysfs(sysfs_root, dev_root)


def find_port(match: UsbMatch, *, configured: str | None = None, sysfs_root: str = "/sys",
              dev_root: str = "/dev", use_udev: bool | None = None) -> FoundPort | None:
    """The first port matching `match`; else the configured port if given; else None."""
    if match != UsbMatch():
        for port in scan(sysfs_root=sysfs_root, dev_root=dev_root, use_udev=use_udev):
            if match.matches(port):
                return port
    if configured:
        return FoundPort(devnode=configured, source="config")
    return None


async def watch(match: UsbMatch, *, interval: float = 1.0, sysfs_root: str = "/sys",
                dev_root: str = "/dev", use_udev: bool | None = None
                ) -> AsyncIterator[tuple[str, FoundPort]]:
    """Yield ("add", port) / ("remove", port) as matching ports come and go (polls `interval`)."""
    # Polling the scan keeps one code path for udev and sysfs; a 1 s hot-plug delay is fine
    # for a kiosk whose drivers reconnect with backoff anyway.
    known: dict[str, FoundPort] = {}
    while True:
        ports = await asyncio.to_thread(scan, sysfs_root=sysfs_root, dev_root=dev_root,
                                        use_udev=use_udev)
        now = {p.devnode: p for p in ports if match.matches(p)}
        for node in sorted(now.keys() - known.keys()):
            yield "add", now[node]
        for node in sorted(known.keys() - now.keys()):
            yield "remove", known[node]
        known = now
        await asyncio.sleep(interval)
