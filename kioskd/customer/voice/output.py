"""Where announcements are heard: the kiosk's ALSA output (a stream kept open), and an optional record directory."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kioskd.customer.voice import pcm
from kioskd.customer.voice.alsa import AlsaError, PcmStream

log = logging.getLogger(__name__)

LEAD = 0.25  # seconds of sound handed over ahead of what is heard (the device's buffer): how late a cut can land


@dataclass(frozen=True)
class Played:
    """When an announcement started (time.time()) and how many of its segments were heard."""

    started: float
    segments: int


class AlsaOutput:
    """Plays raw PCM on an ALSA device through one stream, opened once and kept (again after a failure).

    A process per announcement (aplay) cost its start (a few ms, over 100 ms on a busy
    machine) and the device's opening before every announcement; the stream costs neither.
    """

    def __init__(self, device: str) -> None:
        self.device = device
        self._stream: PcmStream | None = None
        # the stream's calls block until the device takes the sound: one thread runs them, in order
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voice")
        self._warned = False

    async def play(self, segments: list[bytes], cut_at: frozenset[int], cut: asyncio.Event) -> Played:
        """Play the segments in order; before a segment in `cut_at`, stop once `cut` is set.

        Paced as heard even when the device fails (no sound card): what is recorded and when
        the next announcement starts do not depend on the device.
        """
        await self.open()
        began, t0 = time.time(), time.monotonic()
        written = 0.0  # seconds of sound handed over
        count = 0
        for index, segment in enumerate(segments):
            ahead = written - (time.monotonic() - t0)
            if index in cut_at:
                if ahead > LEAD:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(cut.wait(), ahead - LEAD)
                if cut.is_set():
                    break
            elif ahead > LEAD:
                await asyncio.sleep(ahead - LEAD)
            await self._use(PcmStream.write, segment)
            written += pcm.seconds(segment)
            count += 1
        await self._use(PcmStream.drain)
        # the speaker is busy until the last segment is heard, even where a device (ALSA's null)
        # takes the data faster: the next announcement never talks over this one
        left = written - (time.monotonic() - t0)
        if left > 0:
            await asyncio.sleep(left)
        return Played(began, count)

    async def open(self) -> None:
        """Open the device unless it is open (the daemon does it at start: the first customer waits for nothing)."""
        if self._stream is None:
            self._stream = await self._call(lambda: PcmStream(self.device, buffer=LEAD)) or None

    async def _use(self, action: Callable[..., None], *args: Any) -> None:
        """Run an action on the open stream; a failing stream is closed (opened again next time)."""
        stream = self._stream
        if stream is None:
            return
        if await self._call(lambda: action(stream, *args)) is False:
            self._stream = None
            await asyncio.get_running_loop().run_in_executor(self._thread, stream.close)

    async def _call(self, action: Callable[[], Any]) -> Any:
        """The action's result on the stream's thread; False (warned once) when ALSA refuses."""
        try:
            done = await asyncio.get_running_loop().run_in_executor(self._thread, action)
        except AlsaError as err:
            self._warn(str(err))
            return False
        self._warned = False
        return done

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
