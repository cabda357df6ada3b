"""[voice] keys: defaults, refusals, and a kiosk without a speech engine staying silent."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from kioskd import config
from kioskd.customer.voice.announcer import Announcer, announcer_from
from kioskd.customer.voice.clips import ClipStore
from tests.test_config import MINIMAL, write


def test_voice_is_on_by_default_at_80_percent(tmp_path: Path) -> None:
    c = config.load(write(tmp_path, MINIMAL))
    assert (c.voice.enabled, c.voice.volume, c.voice.rate, c.voice.device) == (True, 80, 225, "default")
    announcer = announcer_from(c)
    assert announcer is not None and announcer.clips.directory == Path("/var/lib/kioskd/voice")
    off = config.load(write(tmp_path, MINIMAL + "[voice]\nenabled = false\n"))
    assert announcer_from(off) is None


@pytest.mark.parametrize(("text", "key"), [
    ("volume = 101", "voice.volume"),
    ("volume = -1", "voice.volume"),
    ('volume = "loud"', "voice.volume"),
    ("rate = 10", "voice.rate"),
    ("speed = 1", "voice.speed"),
])
def test_a_bad_voice_key_is_named(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.load(write(tmp_path, MINIMAL + f"[voice]\n{text}\n"))
    assert err.value.key == key


async def test_without_the_speech_engine_the_kiosk_stays_silent(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    announcer = Announcer(ClipStore(tmp_path, engine="no-such-speech-engine"), output=None)
    announcer.observe({"state": "payment_cash_waiting", "locale": "zh-CN", "notes": [10000], "total": 10000})
    with caplog.at_level(logging.ERROR):
        await asyncio.wait_for(announcer.run(), 10)  # returns: voice off, nothing else stops
    assert "voice: off" in caplog.text and announcer.played == 0
