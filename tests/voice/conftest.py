"""Voice tests: the speech engine and sox from Debian, and one clip cache per checkout."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kioskd.config import VoiceConfig
from kioskd.customer.voice.clips import ClipStore
from tests.conftest import VOICE_TOOLS

ROOT = Path(__file__).resolve().parents[2]
# the cache `kioskd run --simulate` uses (config/simulate.toml): rendered once per checkout
SHARED_CACHE = ROOT / "var" / "voice-cache"
MISSING = [tool for tool in VOICE_TOOLS if shutil.which(tool) is None]
needs_voice = pytest.mark.skipif(bool(MISSING), reason=f"Debian packages espeak-ng, sox and alsa-utils needed ({MISSING} missing)")


@pytest.fixture(scope="session")
def clips() -> ClipStore:
    defaults = VoiceConfig()  # the clips a kiosk renders by default
    store = ClipStore(SHARED_CACHE, volume=defaults.volume, rate=defaults.rate)
    store.build()
    return store


def sox_stat(path: Path) -> dict[str, float]:
    """sox's `stat` figures of a sound file: length, RMS and maximum amplitude (0-1)."""
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, check=True).stderr
    figures = {}
    for line in out.splitlines():
        name, _, value = line.partition(":")
        try:
            figures[" ".join(name.split())] = float(value)
        except ValueError:
            continue
    return {"length": figures["Length (seconds)"], "rms": figures["RMS amplitude"],
            "max": figures["Maximum amplitude"]}


def sox_split(path: Path, into: Path, gap: float = 0.06) -> list[Path]:
    """The sound's parts between silences of at least `gap` seconds, split by sox."""
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["sox", str(path), str(into / "part.wav"), "silence", "1", "0.005", "0.5%",
                    "1", str(gap), "0.5%", ":", "newfile", ":", "restart"], check=True, capture_output=True)
    parts = sorted(into.glob("part*.wav"))
    # sox leaves an empty last file when the sound ends in silence
    return [p for p in parts if sox_stat(p)["length"] > 0.02]


def recorded(record: Path) -> list[dict[str, Any]]:
    """The announcements a Recorder kept in `record`, in the order they were said."""
    lines = (record / "announcements.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def assert_heard_as_clips(record: Path, heard: list[dict[str, Any]], scratch: Path) -> None:
    """Each kept announcement is audible, and sox hears one sound in it per clip said."""
    for said in heard:
        sound = record / said["file"]
        assert sox_stat(sound)["rms"] > 0.03, f"{said['file']} is silent"
        assert len(sox_split(sound, scratch / said["file"])) == len([c for c in said["clips"] if c])
