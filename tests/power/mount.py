"""Mount tests.power.lazyfs on a folder and drive it: cut the power, fill it, make it read-only."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.daemon import ROOT, STEP


def fuse_missing() -> str | None:
    """Why a FUSE file system cannot be mounted here, or None when it can."""
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse"
    if shutil.which("fusermount3") is None:
        return "no fusermount3 (Debian package fuse3)"
    try:
        import mfusepy  # noqa: F401 - loads libfuse3 at import
    except (ImportError, OSError, EnvironmentError) as err:  # noqa: UP024 - mfusepy raises EnvironmentError
        return f"mfusepy/libfuse3 unusable: {err}"
    if os.geteuid() != 0 and not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "/dev/fuse not usable by this user"
    return None


class LazyMount:
    """A tests.power.lazyfs process mounted on `mountpoint`, driven by one-line commands."""

    def __init__(self, mountpoint: Path, log: Path) -> None:
        self.mountpoint, self.log_path = mountpoint, log
        self.proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:  # noqa: ASYNC230 - a local log file
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.power.lazyfs", str(self.mountpoint), cwd=ROOT,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log,
            )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), STEP)
        if line.strip() != b"ready":
            await self.close()
            raise AssertionError(f"lazyfs did not mount on {self.mountpoint}: {line!r}; see {self.log_path}")

    async def command(self, command: str) -> str:
        """Send one command, return its answer (`ok ...`); fail on anything else."""
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        async with self._lock:
            self.proc.stdin.write(command.encode() + b"\n")
            await self.proc.stdin.drain()
            answer = (await asyncio.wait_for(self.proc.stdout.readline(), STEP)).decode().strip()
        assert answer.startswith("ok"), f"lazyfs {command}: {answer!r}"
        return answer

    async def cut(self) -> None:
        """The power goes: every write not yet fsynced (data or directory entry) is lost."""
        await self.command("cut")

    async def close(self) -> None:
        """Unmount and end the file system process (lazily unmounted if it hangs)."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.returncode is None and proc.stdin is not None:
            proc.stdin.write(b"quit\n")
            proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), STEP)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await asyncio.to_thread(_unmount_if_mounted, self.mountpoint)


def _unmount_if_mounted(mountpoint: Path) -> None:
    if os.path.ismount(mountpoint):
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)
