"""Where announcements are heard: the kiosk's ALSA output (aplay), and an optional record directory."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kioskd.customer.voice import pcm

log = logging.getLogger(__name__)

PLAYER = "aplay"  # alsa-utils
LEAD = 0.25  # seconds of sound written ahead of what is heard: how late a cut can take effect


@dataclass(frozen=True)
class Played:
    """When an announcement started (time.time()) and how many of its segments were heard."""

    started: float
    segments: int


class AlsaOutput:
    """Plays raw PCM on an ALSA device through aplay, fed in step with what is heard."""

    def __init__(self, device: str) -> None:
        self.device = device
        self._warned = False

    async def play(self, segments: list[bytes], cut_from: int, cut: asyncio.Event) -> Played:
        """Play the segments in order; from segment `cut_from` on, stop once `cut` is set.

        Paced as heard even when the player fails (no sound card): what is recorded and when
        the next announcement starts do not depend on the device.
        """
        proc = await self._start_player()
        began, t0 = time.time(), time.monotonic()
        written = 0.0  # seconds of sound handed over
        count = 0
        try:
            for index, segment in enumerate(segments):
                ahead = written - (time.monotonic() - t0)
                if index >= cut_from:
                    if ahead > LEAD:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(cut.wait(), ahead - LEAD)
                    if cut.is_set():
                        break
                elif ahead > LEAD:
                    await asyncio.sleep(ahead - LEAD)
                proc = await self._feed(proc, segment)
                written += pcm.seconds(segment)
                count += 1
            await self._finish(proc)
        except BaseException:
            if proc is not None and proc.returncode is None:
                proc.kill()
                await proc.wait()
            raise
        # the speaker is busy until the last segment is heard, even where a device (ALSA's null)
        # takes the data faster: the next announcement never talks over this one
        left = written - (time.monotonic() - t0)
        if left > 0:
            await asyncio.sleep(left)
        return Played(began, count)

    async def _start_player(self) -> asyncio.subprocess.Process | None:
        exe = shutil.which(PLAYER)
        if exe is None:
            self._warn(f"{PLAYER} is not installed (Debian package alsa-utils)")
            return None
        return await asyncio.create_subprocess_exec(
            exe, "-q", "-D", self.device, "-t", "raw", "-f", "S16_LE", "-c", "1", "-r", str(pcm.RATE), "-",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )

    async def _feed(self, proc: asyncio.subprocess.Process | None, data: bytes) -> asyncio.subprocess.Process | None:
        """Hand data to the player; None from the moment it stopped taking it."""
        if proc is None or proc.stdin is None:
            return None
        try:
            proc.stdin.write(data)
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            await self._finish(proc)
            return None
        return proc

    async def _finish(self, proc: asyncio.subprocess.Process | None) -> None:
        if proc is None:
            return
        assert proc.stdin is not None and proc.stderr is not None
        if not proc.stdin.is_closing():
            proc.stdin.close()
        err = await proc.stderr.read()
        if await proc.wait() != 0:
            self._warn(f"{PLAYER} -D {self.device} failed: {err.decode(errors='replace').strip()[-200:]}")
        else:
            self._warned = False

    def _warn(self, problem: str) -> None:
        # once until it works again: a kiosk without speakers must not fill the log
        if not self._warned:
            log.warning("voice: cannot play: %s", problem)
            self._warned = True


class Recorder:
    """Keeps each announcement as NNNN-kind.wav and one JSON line in announcements.jsonl."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.count = len(list(self.directory.glob("*.wav")))

    def write(self, wav: bytes, record: dict[str, Any]) -> Path:
        """Write the WAV as heard and its line (text, clips, times)."""
        self.count += 1
        path = self.directory / f"{self.count:04d}-{record['kind']}.wav"
        path.write_bytes(wav)
        line = json.dumps({"n": self.count, "file": path.name, **record}, ensure_ascii=False)
        with open(self.directory / "announcements.jsonl", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        return path
