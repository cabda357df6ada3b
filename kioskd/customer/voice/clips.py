"""Clips: each word rendered once by the local speech engine (espeak-ng), cached as WAV files.

`build()` renders what is missing (at first start, in a thread, or by `kioskd voice build`);
playing only reads cached files, so no speech is generated while a customer waits. A clip's
file name is a hash of the engine's version, voice, rate and the words, so a new engine or
setting renders afresh and never plays a stale clip.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from kioskd.customer.voice import pcm
from kioskd.customer.voice.numbers import Word
from kioskd.customer.voice.phrases import LOCALES, Announcement, vocabulary

log = logging.getLogger(__name__)

ENGINE = "espeak-ng"
# Debian's espeak-ng lacks most characters in its Mandarin dictionary and falls back to
# spelling them in English; its Pinyin voice reads tone-numbered pinyin reliably.
VOICES = {"zh-CN": "cmn-latn-pinyin", "en": "en-us"}
# between the words of one phrase (一百 | 二十 | 元): longer than any silence inside a clip
# (a stop consonant's closure, up to about 55 ms), so each clip stays one sound
WORD_GAP_MS = 80
PAUSE_MS = 200  # where the text has a comma or a full stop
CLIP_FORMAT = "1"  # bump when trimming or the file layout changes


class VoiceUnavailable(RuntimeError):
    """The speech engine is missing or failed: no clips can be rendered."""


def engine_version(engine: str = ENGINE) -> str:
    """The engine's version line; VoiceUnavailable when it is not installed."""
    path = shutil.which(engine)
    if path is None:
        raise VoiceUnavailable(f"{engine} is not installed (Debian package espeak-ng)")
    done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else engine


class ClipStore:
    """The cached clips of one cache directory, loaded on demand and kept at the set volume."""

    def __init__(self, directory: Path, *, volume: int = 80, rate: int = 225, engine: str = ENGINE) -> None:
        self.directory = Path(directory)
        self.volume, self.rate, self.engine = volume, rate, engine
        self._version: str | None = None
        self._loaded: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()  # build() runs in a thread while the loop may load clips

    @property
    def version(self) -> str:
        """The engine version that names the clips (asked once)."""
        if self._version is None:
            self._version = engine_version(self.engine)
        return self._version

    def path(self, locale: str, say: str) -> Path:
        """The cache file of one clip."""
        key = "\n".join((CLIP_FORMAT, self.version, VOICES[locale], str(self.rate), say))
        return self.directory / f"{locale}-{hashlib.sha256(key.encode()).hexdigest()[:32]}.wav"

    def missing(self, locales: tuple[str, ...] = LOCALES) -> list[tuple[str, Word]]:
        """Words whose clip is not in the cache yet."""
        return [(locale, word) for locale in locales
                for word in sorted(vocabulary(locale), key=lambda w: w.say)
                if not self.path(locale, word.say).exists()]

    def build(self, locales: tuple[str, ...] = LOCALES) -> int:
        """Render every missing clip; the number rendered. Safe to run in several processes at once."""
        todo = self.missing(locales)
        if todo:
            self.directory.mkdir(parents=True, exist_ok=True)
            log.info("voice: rendering %d clips into %s", len(todo), self.directory)
        for locale, word in todo:
            self._render(locale, word.say)
        return len(todo)

    def _render(self, locale: str, say: str) -> None:
        exe = shutil.which(self.engine)
        if exe is None:
            raise VoiceUnavailable(f"{self.engine} is not installed")
        target = self.path(locale, say)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".render-", suffix=".wav")
        os.close(fd)
        try:
            done = subprocess.run(
                [exe, "-v", VOICES[locale], "-s", str(self.rate), "-w", tmp, "--", say],
                capture_output=True, text=True, timeout=30, check=False,
            )
            if done.returncode != 0:
                raise VoiceUnavailable(f"{self.engine} failed on {say!r}: {done.stderr.strip()}")
            sound = pcm.trim(pcm.read_wav(Path(tmp).read_bytes()))
            if not sound:
                raise VoiceUnavailable(f"{self.engine} rendered silence for {say!r}")
            Path(tmp).write_bytes(pcm.wav_bytes(sound))
            os.replace(tmp, target)  # atomic: a reader sees no clip or a whole one
        finally:
            Path(tmp).unlink(missing_ok=True)

    def clip(self, locale: str, say: str) -> bytes:
        """One clip's PCM at the set volume (read from the cache once, then kept)."""
        with self._lock:
            found = self._loaded.get((locale, say))
        if found is None:
            found = pcm.scale(pcm.read_wav(self.path(locale, say).read_bytes()), self.volume)
            with self._lock:
                self._loaded[(locale, say)] = found
        return found

    def segments(self, announcement: Announcement) -> list[bytes]:
        """One PCM segment per word: a clip after a short gap, or the silence of a pause."""
        parts: list[bytes] = []
        for word in announcement.words:
            if not word.say:
                parts.append(pcm.silence(PAUSE_MS - WORD_GAP_MS))
            else:
                gap = pcm.silence(WORD_GAP_MS) if parts else b""
                parts.append(gap + self.clip(announcement.locale, word.say))
        return parts

    def compose(self, announcement: Announcement) -> bytes:
        """The announcement's PCM: its clips in order with short gaps, pauses where the text has them."""
        return b"".join(self.segments(announcement))
