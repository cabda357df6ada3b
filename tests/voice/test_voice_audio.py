"""Announcements rendered to WAV and measured with sox: not silent, the right clips in the right order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kioskd.customer.voice import phrases
from kioskd.customer.voice.announcer import Announcer, Output
from kioskd.customer.voice.clips import ClipStore
from kioskd.customer.voice.output import AlsaOutput, Played, Recorder
from kioskd.customer.voice.pcm import wav_bytes
from tests.voice.conftest import assert_heard_as_clips, needs_voice, recorded, sox_split, sox_stat

pytestmark = needs_voice


def write(tmp_path: Path, name: str, sound: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(wav_bytes(sound))
    return path


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_note_announcement_is_its_clips_in_order_and_audible(clips: ClipStore, tmp_path: Path,
                                                               locale: str) -> None:
    said = phrases.note_accepted((10000,), 12000, locale)
    assert said.text == {"zh-CN": "收到壹佰元，共计壹佰贰拾元",
                         "en": "Received one hundred yuan. Total one hundred and twenty yuan."}[locale]
    heard = write(tmp_path, "note.wav", clips.compose(said))
    whole = sox_stat(heard)
    assert whole["rms"] > 0.03, "the announcement is (nearly) silent"
    assert whole["max"] <= 0.81, "louder than [voice] volume = 80 allows"
    # sox cuts the sound at its silences: one part per clip, each as long as that clip
    parts = sox_split(heard, tmp_path / "parts")
    expected = [w.say for w in said.words if w.say]
    assert len(parts) == len(expected), f"{len(parts)} sounds heard, {len(expected)} clips expected"
    for part, say in zip(parts, expected, strict=True):
        clip = sox_stat(clips.path(locale, say))
        got = sox_stat(part)
        assert abs(got["length"] - clip["length"]) < 0.03, f"{say!r}: {got['length']} s, clip {clip['length']} s"
        # the cached clip is at full scale, the announcement at volume 80
        assert got["rms"] == pytest.approx(clip["rms"] * 0.8, rel=0.15), say


def test_different_amounts_sound_different(clips: ClipStore, tmp_path: Path) -> None:
    one = sox_split(write(tmp_path, "a.wav", clips.compose(phrases.note_accepted((10000,), 10000, "zh-CN"))),
                    tmp_path / "a")
    two = sox_split(write(tmp_path, "b.wav", clips.compose(phrases.note_accepted((500,), 10500, "zh-CN"))),
                    tmp_path / "b")
    # 收到 壹佰 元 (the first note is the total)  against  收到 伍 元 ，共计 壹佰 零 伍 元
    assert (len(one), len(two)) == (3, 8)
    assert abs(sox_stat(one[1])["length"] - sox_stat(two[1])["length"]) > 0.05  # 壹佰 is two syllables, 伍 one


def test_volume_scales_the_sound(clips: ClipStore, tmp_path: Path) -> None:
    quiet = ClipStore(clips.directory, volume=40, rate=clips.rate)
    said = phrases.result("credited", 12000, "zh-CN")
    loud_rms = sox_stat(write(tmp_path, "loud.wav", clips.compose(said)))["rms"]
    quiet_rms = sox_stat(write(tmp_path, "quiet.wav", quiet.compose(said)))["rms"]
    assert quiet_rms == pytest.approx(loud_rms / 2, rel=0.05)


WAIT = 30.0  # seconds: the bound on each wait for the announcer
CASH = {"state": "payment_cash_waiting", "locale": "zh-CN", "result": None}  # a payment taking notes


@contextlib.asynccontextmanager
async def announcing(clips: ClipStore, output: Output, record: Path) -> AsyncIterator[Announcer]:
    """An Announcer running on `output` and keeping what it says in `record`; stopped on leaving."""
    announcer = Announcer(clips, output, Recorder(record))
    task = asyncio.create_task(announcer.run())
    try:
        yield announcer
    finally:
        task.cancel()


class HeldOutput:
    """A speaker whose first announcement lasts until the test lets it end, so others queue up."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.playing = asyncio.Event()

    async def play(self, segments: list[bytes], cut_at: frozenset[int], cut: asyncio.Event) -> Played:
        self.playing.set()
        await self.release.wait()
        return Played(0.0, len(segments))


async def test_the_announcer_says_notes_returns_and_the_result_in_order(clips: ClipStore, tmp_path: Path) -> None:
    output = HeldOutput()
    async with announcing(clips, output, tmp_path / "rec") as announcer:
        announcer.observe({**CASH, "notes": [10000], "total": 10000})
        await asyncio.wait_for(output.playing.wait(), WAIT)
        # while the first is heard, two more notes and a returned one: the notes are said together
        announcer.observe({**CASH, "notes": [10000, 2000], "total": 12000})
        announcer.observe({**CASH, "notes": [10000, 2000, 500], "total": 12500})
        announcer.note_returned(10000)
        announcer.observe({**CASH, "state": "payment_receipt", "notes": [10000, 2000, 500], "total": 12500,
                           "result": {"txn": "t-1", "status": "credited", "amount": 12500}})
        announcer.observe({**CASH, "state": "payment_done", "notes": [10000, 2000, 500], "total": 12500,
                           "result": {"txn": "t-1", "status": "credited", "amount": 12500}})
        output.release.set()
        await asyncio.wait_for(announcer.quiet.wait(), WAIT)
    heard = recorded(tmp_path / "rec")
    assert [h["text"] for h in heard] == [
        "收到壹佰元",
        "收到贰拾元、伍元，共计壹佰贰拾伍元",
        "退回壹佰元",
        "缴费成功，共计壹佰贰拾伍元，谢谢",
    ]
    for h in heard:
        assert sox_stat(tmp_path / "rec" / h["file"])["rms"] > 0.03


class StepOutput:
    """A speaker that plays one announcement per release, and stops at its first cut point if cut meanwhile."""

    def __init__(self) -> None:
        self.release = asyncio.Semaphore(0)
        self.started = asyncio.Semaphore(0)

    async def play(self, segments: list[bytes], cut_at: frozenset[int], cut: asyncio.Event) -> Played:
        self.started.release()
        await self.release.acquire()
        return Played(0.0, min(cut_at) if cut.is_set() and cut_at else len(segments))

    async def begun(self) -> None:
        """Wait until an announcement starts being said."""
        await asyncio.wait_for(self.started.acquire(), WAIT)

    async def next(self) -> None:
        """Let the announcement being said end; wait until the next one starts."""
        self.release.release()
        await self.begun()

    async def last(self, announcer: Announcer) -> None:
        """Let the announcement being said end, the last one: wait until the announcer is quiet."""
        self.release.release()
        await asyncio.wait_for(announcer.quiet.wait(), WAIT)


async def test_a_newer_note_cuts_the_running_total_short(clips: ClipStore, tmp_path: Path) -> None:
    output = StepOutput()
    async with announcing(clips, output, tmp_path / "rec") as announcer:
        announcer.observe({**CASH, "notes": [10000], "total": 10000})
        await output.begun()
        announcer.observe({**CASH, "notes": [10000, 2000], "total": 12000})
        await output.next()  # 收到贰拾元，共计… is being said
        announcer.observe({**CASH, "notes": [10000, 2000, 500], "total": 12500})
        await output.next()
        await output.last(announcer)
    assert [h["clips"] for h in recorded(tmp_path / "rec")] == [
        ["shou1 dao4", "yi4 bai3", "yuan2"],
        ["shou1 dao4", "er4 shi2", "yuan2"],  # its total 壹佰贰拾元 was out of date: not said
        ["shou1 dao4", "wu3", "yuan2", "", "gong4 ji4", "yi4 bai3", "er4 shi2", "wu3", "yuan2"],
    ]


async def test_a_newer_note_moves_the_notes_not_yet_said_into_its_announcement(clips: ClipStore,
                                                                              tmp_path: Path) -> None:
    output = StepOutput()
    async with announcing(clips, output, tmp_path / "rec") as announcer:
        announcer.observe({**CASH, "notes": [10000], "total": 10000})
        await output.begun()  # 收到壹佰元 is heard
        announcer.observe({**CASH, "notes": [10000, 2000], "total": 12000})
        announcer.observe({**CASH, "notes": [10000, 2000, 500], "total": 12500})
        await output.next()  # 收到贰拾元、伍元，共计… is heard
        announcer.observe({**CASH, "notes": [10000, 2000, 500, 5000], "total": 17500})
        await output.next()  # it stops after 贰拾元: 伍元 had not begun
        await output.last(announcer)
    heard = recorded(tmp_path / "rec")
    # every note said once, in the order counted, and the last total is the payment's
    assert [h["text"] for h in heard] == ["收到壹佰元", "收到贰拾元", "收到伍元、伍拾元，共计壹佰柒拾伍元"]
    assert_heard_as_clips(tmp_path / "rec", heard, tmp_path)  # the sound kept is those clips, audible


async def test_the_next_customers_note_never_cuts_or_joins_the_last_payments_words(clips: ClipStore,
                                                                                tmp_path: Path) -> None:
    output = StepOutput()
    done = {"state": "payment_done", "result": {"txn": "t-1", "status": "credited", "amount": 12000}}
    async with announcing(clips, output, tmp_path / "rec") as announcer:
        announcer.observe({**CASH, "notes": [10000], "total": 10000})
        await output.begun()
        announcer.observe({**CASH, "notes": [10000, 2000], "total": 12000})
        await output.next()  # 收到贰拾元，共计壹佰贰拾元 is heard
        announcer.observe({**CASH, **done, "notes": [10000, 2000], "total": 12000})
        announcer.observe({**CASH, "notes": [], "total": 0})  # the next customer pays
        announcer.observe({**CASH, "notes": [5000], "total": 5000})
        for _ in range(2):  # the result, then the next customer's note
            await output.next()
        await output.last(announcer)
    assert [h["text"] for h in recorded(tmp_path / "rec")] == [
        "收到壹佰元", "收到贰拾元，共计壹佰贰拾元", "缴费成功，共计壹佰贰拾元，谢谢", "收到伍拾元"]


async def test_the_alsa_output_plays_up_to_the_cut(clips: ClipStore) -> None:
    said = phrases.note_accepted((2000,), 12000, "zh-CN")
    segments = clips.segments(said)
    speaker = AlsaOutput("null")  # ALSA's null device: the stream opens, nothing is heard
    cut = asyncio.Event()
    whole = await speaker.play(segments, said.cut_at, cut)
    cut.set()
    short = await speaker.play(segments, said.cut_at, cut)
    assert (whole.segments, short.segments) == (len(segments), 3)
    # a list of notes stops after the note being said: 收到贰拾元 | 、伍元，共计…
    listed = phrases.note_accepted((2000, 500), 12500, "zh-CN")
    short = await speaker.play(clips.segments(listed), listed.cut_at, cut)
    assert listed.said(short.segments).text == "收到贰拾元"
    assert listed.notes_said(short.segments) == 1


async def test_a_kiosk_without_its_sound_device_warns_once_and_goes_on(clips: ClipStore,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    said = phrases.note_returned(None, "zh-CN")
    segments = clips.segments(said)
    speaker = AlsaOutput("kioskd-no-such-device")
    cut = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="kioskd.customer.voice.output"):
        first = await speaker.play(segments, said.cut_at, cut)
        second = await speaker.play(segments, said.cut_at, cut)
    # each announcement is still paced as heard (the next never starts early), and the log says it once
    assert (first.segments, second.segments) == (len(segments), len(segments))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "kioskd-no-such-device" in warnings[0], warnings
