"""The power-cut file system keeps only what was made durable; drivers/statefile.py makes it so."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from drivers import statefile
from tests.power.mount import LazyMount


def careless(folder: Path) -> None:
    """Each way a state file was (or could be) written without being durable."""
    (folder / "plain").write_text("new", encoding="ascii")  # no fsync at all
    fd = os.open(folder / "fsynced-file-only", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"new")
    os.fsync(fd)  # the bytes, but not the name: the folder was not fsynced
    os.close(fd)
    (folder / "renamed.tmp").write_text("new", encoding="ascii")
    with open(folder / "renamed.tmp", "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(folder / "renamed.tmp", folder / "renamed")  # the rename is not durable
    (folder / "unlinked").unlink()  # neither is the removal


def careful(folder: Path) -> None:
    statefile.write_file(folder / "written", b"new")
    statefile.create_file(folder / "created", b"new")
    statefile.write_json(folder / "state.json", {"count": 2})
    statefile.remove_file(folder / "removed")


def before(folder: Path) -> None:
    """The durable starting point: files holding `old`, the folder fsynced."""
    for name in ("plain", "renamed", "unlinked", "written", "removed"):
        statefile.write_file(folder / name, b"old")


def surviving(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


async def test_a_cut_keeps_only_fsynced_bytes_and_names(fuse: None, tmp_path: Path) -> None:
    mount = LazyMount(tmp_path / "mnt", tmp_path / "lazyfs.log")
    await mount.start()
    try:
        folder = mount.mountpoint
        await asyncio.to_thread(before, folder)
        await asyncio.to_thread(careless, folder)
        await mount.cut()
        after_careless = await asyncio.to_thread(surviving, folder)
        await asyncio.to_thread(careful, folder)
        await mount.cut()
        after_careful = await asyncio.to_thread(surviving, folder)
    finally:
        await mount.close()
    old = {"plain": "old", "renamed": "old", "unlinked": "old", "written": "old", "removed": "old"}
    assert after_careless == old  # the new name, the rename and the unlink are all gone
    expected = {**old, "written": "new", "created": "new", "state.json": '{"count": 2}'}
    del expected["removed"]
    assert after_careful == expected  # what the helper wrote, created and removed
async def test_create_file_never_replaces_an_existing_file(fuse: None, tmp_path: Path) -> None:
    mount = LazyMount(tmp_path / "mnt", tmp_path / "lazyfs.log")
    await mount.start()
    try:
        key = mount.mountpoint / "kiosk.key"
        await asyncio.to_thread(statefile.create_file, key, b"first", 0o600)
        with pytest.raises(FileExistsError):
            await asyncio.to_thread(statefile.create_file, key, b"second", 0o600)
        await mount.cut()
        assert await asyncio.to_thread(key.read_bytes) == b"first"
    finally:
        await mount.close()
