"""Discovery against a fake sysfs tree laid out like a USB-serial adapter's."""

from __future__ import annotations

import asyncio
from pathlib import Path

from drivers.discovery import FoundPort, UsbMatch, find_port, scan_sysfs, watch


def add_usb_tty(sysfs: Path, tty: str, bus: str, vid: str, pid: str, serial: str | None) -> None:
    usb = sysfs / "devices/pci0000:00/0000:00:14.0/usb1" / bus
    iface = usb / f"{bus}:1.0"
    (iface / "ttyUSB" / tty).mkdir(parents=True)
    (usb / "idVendor").write_text(vid + "\n")
    (usb / "idProduct").write_text(pid + "\n")
    if serial:
        (usb / "serial").write_text(serial + "\n")
    cls = sysfs / "class/tty" / tty
    cls.mkdir(parents=True)
    (cls / "device").symlink_to(iface)


def fake_sysfs(tmp_path: Path) -> Path:
    sysfs = tmp_path / "sys"
    add_usb_tty(sysfs, "ttyUSB0", "1-1", "0403", "6001", "JCM0001")
    add_usb_tty(sysfs, "ttyUSB1", "1-2", "067b", "2303", None)
    (sysfs / "class/tty/tty0").mkdir(parents=True)  # a console: no device link
    return sysfs


def test_scan_reads_ids_from_the_usb_parent(tmp_path):
    ports = scan_sysfs(str(fake_sysfs(tmp_path)), "/dev")
    assert ports == [
        FoundPort("/dev/ttyUSB0", 0x0403, 0x6001, "JCM0001", "sysfs"),
        FoundPort("/dev/ttyUSB1", 0x067B, 0x2303, None, "sysfs"),
    ]


def test_find_by_vid_pid_serial_then_configured_fallback(tmp_path):
    sysfs = str(fake_sysfs(tmp_path))
    kw = {"sysfs_root": sysfs, "use_udev": False}
    assert find_port(UsbMatch(0x0403, 0x6001, "JCM0001"), **kw).devnode == "/dev/ttyUSB0"
    assert find_port(UsbMatch(pid=0x2303), **kw).devnode == "/dev/ttyUSB1"
    assert find_port(UsbMatch(0x0403, 0x6001, "OTHER"), **kw) is None
    fallback = find_port(UsbMatch(0x0403, 0x6001, "OTHER"), configured="/dev/ttyS0", **kw)
    assert fallback == FoundPort("/dev/ttyS0", source="config")


async def test_watch_reports_plug_and_unplug(tmp_path):
    sysfs = tmp_path / "sys"
    (sysfs / "class/tty").mkdir(parents=True)
    changes = watch(UsbMatch(vid=0x0403), interval=0.01, sysfs_root=str(sysfs), use_udev=False)
    add_usb_tty(sysfs, "ttyUSB0", "1-1", "0403", "6001", "JCM0001")
    kind, port = await asyncio.wait_for(anext(changes), 2)
    assert (kind, port.devnode) == ("add", "/dev/ttyUSB0")
    (sysfs / "class/tty/ttyUSB0/device").unlink()
    kind, port = await asyncio.wait_for(anext(changes), 2)
    assert (kind, port.serial) == ("remove", "JCM0001")
    await changes.aclose()
