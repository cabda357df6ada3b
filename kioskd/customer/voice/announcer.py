"""The announcer: turns what the customer screen shows into spoken announcements, in order.

It watches the machine's snapshots (a note counted, the payment's result) and the
validator's returns, queues announcements and plays them one at a time. Notes counted
while one still waits are said together ("收到壹佰元、伍拾元，共计…"). A note counted while
an earlier note announcement is heard cuts that one short at its next note or at its running
total: the notes it had not begun to say move to the front of the newer announcement, which
says the newer total. So every note is said once, soon after it is counted, and the total
heard is never one already out of date.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kioskd.customer.voice import phrases
from kioskd.customer.voice.clips import ClipStore, VoiceUnavailable
from kioskd.customer.voice.output import AlsaOutput, Played, Recorder
from kioskd.customer.voice.pcm import seconds, wav_bytes

if TYPE_CHECKING:
    from kioskd.config import Config

log = logging.getLogger(__name__)


class Output(Protocol):
    """Something that plays segments of sound and returns once they have been heard."""

    async def play(self, segments: list[bytes], cut_at: frozenset[int], cut: asyncio.Event) -> Played:
        """Play in order; before a segment in `cut_at`, stop as soon as `cut` is set."""
        ...


@dataclass
class _Queued:
    announcement: phrases.Announcement
    counted: float  # time.time() of what caused it (the earliest of its notes counted, the result known)
    notes: list[tuple[int, float]] = field(default_factory=list)  # a note announcement's (value, counted)
    total: int = 0
    payment: int = 0  # which payment its notes belong to (notes never move to another one's)


class Announcer:
    """Watches snapshots and validator returns; plays announcements in order."""

    def __init__(self, clips: ClipStore, output: Output | None, recorder: Recorder | None = None) -> None:
        self.clips, self.output, self.recorder = clips, output, recorder
        self.locale = "zh-CN"
        self._queue: deque[_Queued] = deque()
        self._wake = asyncio.Event()
        self.quiet = asyncio.Event()  # nothing queued or playing
        self.quiet.set()
        self._seen_notes = 0
        self._payment = 0  # counts payments seen, so one payment's notes stay in its announcements
        self._said_result: str | None = None  # the txn whose result was said last
        self._playing: _Queued | None = None
        self._cut = asyncio.Event()  # a newer note waits: the running total being said may stop
        self.played = 0

    # --- what happens at the kiosk (called on the loop, never blocks) -------------------
    def observe(self, snapshot: dict[str, Any]) -> None:
        """A new snapshot: announce newly counted notes and a payment's result."""
        self.locale = snapshot.get("locale") or self.locale
        notes = snapshot.get("notes") or []
        if len(notes) < self._seen_notes:
            self._seen_notes = 0  # a new payment
            self._payment += 1
        for value in notes[self._seen_notes:]:
            self._note(value, snapshot.get("total", sum(notes)))
        self._seen_notes = len(notes)
        result = snapshot.get("result")
        if result and result.get("txn") != self._said_result:
            self._said_result = result["txn"]
            self._put(_Queued(phrases.result(result["status"], result["amount"], self.locale), time.time()))

    def note_returned(self, value: int | None, recognised: bool = True) -> None:
        """The validator handed a note back (refused by a limit, or not recognised)."""
        said = phrases.note_returned(value, self.locale) if recognised else phrases.note_rejected(self.locale)
        self._put(_Queued(said, time.time()))

    def _note(self, value: int, total: int) -> None:
        waiting = self._queue[-1] if self._queue else None
        if waiting is not None and waiting.notes and waiting.payment == self._payment:
            # still not started: one announcement says every note since, and the newest total
            self._say_notes(waiting, waiting.notes + [(value, time.time())], total)
        else:
            said = phrases.note_accepted((value,), total, self.locale)
            now = time.time()
            self._put(_Queued(said, now, [(value, now)], total, self._payment))
        if self._playing is not None and self._playing.notes and self._playing.payment == self._payment:
            self._cut.set()

    def _say_notes(self, item: _Queued, notes: list[tuple[int, float]], total: int) -> None:
        item.notes, item.total = notes, total
        item.counted = min(counted for _, counted in notes)
        item.announcement = phrases.note_accepted(tuple(value for value, _ in notes), total, self.locale)

    def _carry(self, cut: _Queued, said: int) -> None:
        """The notes a cut announcement had not begun to say go to the front of the next one."""
        unsaid = cut.notes[said:]
        if not unsaid:
            return
        later = next((q for q in self._queue if q.notes and q.payment == cut.payment), None)
        if later is None:  # only a newer note of this payment cuts, so it waits; but never drop a note
            later = _Queued(cut.announcement, cut.counted, [], cut.total, cut.payment)
            self._queue.appendleft(later)
        self._say_notes(later, unsaid + later.notes, later.total)

    def _put(self, item: _Queued) -> None:
        self._queue.append(item)
        self.quiet.clear()
        self._wake.set()

    # --- playing ----------------------------------------------------------------------------
    async def run(self) -> None:
        """Build missing clips (in a thread), then play announcements for ever."""
        try:
            built = await asyncio.to_thread(self.clips.build)
        except VoiceUnavailable as err:
            log.error("voice: off, clips cannot be rendered: %s", err)
            return
        if built:
            log.info("voice: %d clips rendered", built)
        if isinstance(self.output, AlsaOutput):
            await self.output.open()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                await self._play(self._queue.popleft())
            self.quiet.set()

    async def _play(self, item: _Queued) -> None:
        said = item.announcement
        dequeued = time.time()
        self._cut.clear()
        self._playing = item  # from now on a newer note cuts it (at its next note or its total)
        try:
            segments = await asyncio.to_thread(self.clips.segments, said)
        except (OSError, ValueError) as err:
            self._playing = None
            log.error("voice: cannot compose %r: %s", said.text, err)
            return
        log.info("voice: %s", said.text)
        composed = time.time()
        try:
            if self.output is None:
                played = Played(time.time(), len(segments))
            else:
                played = await self.output.play(segments, said.cut_at, self._cut)
        finally:
            self._playing = None
        if played.segments < len(segments) and item.notes:
            self._carry(item, said.notes_said(played.segments))
        self.played += 1
        if self.recorder is not None:
            sound = b"".join(segments[:played.segments])
            heard = said.said(played.segments)
            self.recorder.write(wav_bytes(sound), {
                "kind": said.kind, "locale": said.locale, "text": heard.text,
                "clips": [w.say for w in heard.words], "cut": played.segments < len(segments),
                "counted": round(item.counted, 4), "dequeued": round(dequeued, 4),
                "composed": round(composed, 4), "started": round(played.started, 4),
                "duration": round(seconds(sound), 3),
            })


def announcer_from(config: Config) -> Announcer | None:
    """The kiosk's announcer from [voice], or None when voice is off."""
    voice = config.voice
    if not voice.enabled:
        return None
    clips = ClipStore(Path(voice.cache) if voice.cache else config.state_dir / "voice",
                      volume=voice.volume, rate=voice.rate)
    output = AlsaOutput(voice.device) if voice.device else None
    recorder = Recorder(Path(voice.record)) if voice.record else None
    return Announcer(clips, output, recorder)
