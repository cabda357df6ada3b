"""The whole daemon speaks: each counted note with the running total, a returned note, the result."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.daemon import STEP, start_kiosk
from tests.voice.conftest import ROOT, SHARED_CACHE, assert_heard_as_clips, needs_voice

pytestmark = needs_voice


def voice_config(tmp_path: Path, record: Path) -> Path:
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    text = text.replace('cache = "var/voice-cache"', f'cache = "{SHARED_CACHE}"\ndevice = ""\nrecord = "{record}"')
    text += "\n[limits]\nmax_notes = 2\n"  # the third note goes back: a returned note is heard too
    path = tmp_path / "kioskd.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def announcements(record: Path, count: int) -> list[dict]:
    """The first `count` announcements kept in the record directory (waits, bounded)."""
    log = record / "announcements.jsonl"
    async with asyncio.timeout(STEP):
        while True:
            lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
            if len(lines) >= count:
                return [json.loads(line) for line in lines]
            await asyncio.sleep(0.1)  # the daemon writes the file; nothing to wait on but the file


async def test_a_payment_is_announced_note_by_note(tmp_path: Path, clips: object) -> None:
    record = tmp_path / "heard"
    kiosk = await start_kiosk(tmp_path / "state", "--config", str(voice_config(tmp_path, record)))
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await kiosk.press(*"0012345678", "confirm")
        await kiosk.until(lambda s: s["state"] == "payment_confirm", "the holder")
        await kiosk.press("confirm")
        for value, count in ((10000, 1), (2000, 2)):
            await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "waiting for a note")
            await kiosk.insert(value)
            await kiosk.until(lambda s, n=count: len(s["notes"]) == n, f"note {count} counted")
        await kiosk.insert(5000)
        await kiosk.until(lambda s: s["message"] == "max_notes", "the third note refused")
        await kiosk.press("finish")
        await kiosk.until(lambda s: s["state"] == "payment_done", "the result")
        heard = await announcements(record, 4)
    finally:
        await kiosk.stop()
    assert [a["text"] for a in heard] == [
        "收到壹佰元",
        "收到贰拾元，共计壹佰贰拾元",
        "退回伍拾元",
        "缴费成功，共计壹佰贰拾元，谢谢",
    ]
    assert_heard_as_clips(record, heard, tmp_path)
