"""The door switch driver against a real value file, as sysfs GPIO presents one."""

from __future__ import annotations

import asyncio
from pathlib import Path

from drivers.base import DeviceOffline, DeviceOnline, DoorClosed, DoorOpened, EventLog
from drivers.door import DoorSwitch


def reads(door: DoorSwitch, log: EventLog, path: Path, *levels: str) -> list[str]:
    """Write each level and take one reading of it; the events they caused, by name."""
    start = len(log.events)
    for level in levels:
        path.write_text(level + "\n")
        door.poll(log, door._read())
    return [type(e).__name__ for e in log.events[start:]]


def test_first_reading_reports_the_door_as_it_is_then_debounced_changes(tmp_path: Path) -> None:
    value, log = tmp_path / "value", EventLog()
    door = DoorSwitch(str(value))
    assert reads(door, log, value, "0") == ["DeviceOnline", "DoorClosed"]
    assert reads(door, log, value, "1") == []  # once: could be contact bounce
    assert reads(door, log, value, "0", "1", "0") == []  # bouncing: nothing
    assert reads(door, log, value, "1", "1") == ["DoorOpened"]
    assert door.is_open is True
    assert reads(door, log, value, "1", "1", "0", "0") == ["DoorClosed"]


def test_open_value_follows_the_wiring(tmp_path: Path) -> None:
    value, log = tmp_path / "value", EventLog()
    door = DoorSwitch(str(value), open_value="0")  # the switch pulls the line low when open
    assert reads(door, log, value, "0") == ["DeviceOnline", "DoorOpened"]


def test_an_unreadable_switch_is_offline_once_and_never_a_door_change(tmp_path: Path) -> None:
    value, log = tmp_path / "value", EventLog()
    door = DoorSwitch(str(value))
    assert reads(door, log, value, "0") == ["DeviceOnline", "DoorClosed"]
    value.unlink()
    door.poll(log, door._read())
    door.poll(log, door._read())
    assert [type(e) for e in log.events[2:]] == [DeviceOffline]
    assert "value" in log.events[-1].reason  # type: ignore[attr-defined]
    assert log.events[-1].cause == "switch_missing"  # type: ignore[attr-defined]  # what staff read in words
    assert reads(door, log, value, "garbage") == []  # still offline: not a level
    assert reads(door, log, value, "0") == ["DeviceOnline"]  # back, and still closed
    assert door.is_open is False


async def test_run_reads_the_file_until_cancelled(tmp_path: Path) -> None:
    value, seen = tmp_path / "value", asyncio.Queue()
    value.write_text("1")
    door = DoorSwitch(str(value), poll_interval=0.01)
    created = door.last_progress
    task = asyncio.create_task(door.run(seen.put_nowait))
    try:
        async with asyncio.timeout(5):
            assert isinstance(await seen.get(), DeviceOnline)
            assert isinstance(await seen.get(), DoorOpened)
            value.write_text("0")
            assert isinstance(await seen.get(), DoorClosed)
    finally:
        task.cancel()
    assert door.last_progress > created  # the watchdog's heartbeat moves with each reading
