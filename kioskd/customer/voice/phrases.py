"""What is announced, in zh-CN and en: the words of each announcement, in order.

An Announcement's `text` is what a person would read ("收到壹佰元，共计壹佰贰拾元"); its
`words` are the clips played, PAUSE marking a short silence between phrases.
"""

from __future__ import annotations

from dataclasses import dataclass

from kioskd.customer.voice.numbers import (
    PAUSE,
    Word,
    en_vocabulary,
    en_words,
    hyphenate,
    zh_vocabulary,
    zh_words,
)

LOCALES = ("zh-CN", "en")

# Fixed phrases: (zh-CN text, its pinyin reading, English)
_PHRASES: dict[str, tuple[str, str, str]] = {
    "received": ("收到", "shou1 dao4", "Received"),
    "total": ("共计", "gong4 ji4", "Total"),
    "returned": ("退回", "tui4 hui2", "Returned"),
    "note_returned": ("纸币已退回", "zhi3 bi4 yi3 tui4 hui2", "Note returned"),
    "not_recognised": ("纸币无法识别", "zhi3 bi4 wu2 fa3 shi2 bie2", "Note not recognised"),
    "returned_short": ("已退回", "yi3 tui4 hui2", "It was returned"),
    "credited": ("缴费成功", "jiao3 fei4 cheng2 gong1", "Payment credited"),
    "cash_received": ("已收到", "yi3 shou1 dao4", "Received"),
    "pending": ("入账处理中", "ru4 zhang4 chu3 li3 zhong1", "Crediting is pending"),
    "ask_staff": ("请联系工作人员", "qing3 lian2 xi4 gong1 zuo4 ren2 yuan2", "Please ask the staff"),
    "thanks": ("谢谢", "xie4 xie5", "Thank you"),
}
_EN_PAUSE = Word(".", "")
_LIST = {"zh-CN": Word("、", ""), "en": Word(",", "")}  # between the notes of one announcement
LIST_WORDS = frozenset(_LIST.values())
PAUSE_WORDS = frozenset({PAUSE, _EN_PAUSE})  # the pause before a phrase (not the list's comma)


@dataclass(frozen=True)
class Announcement:
    """One thing said: its kind, locale, readable text and the words (clips) in order."""

    kind: str  # note, returned, rejected, result
    locale: str
    words: tuple[Word, ...]

    def said(self, count: int) -> Announcement:
        """The announcement as far as its first `count` words (what was heard of a cut one)."""
        return Announcement(self.kind, self.locale, self.words[:count])

    @property
    def cut_at(self) -> frozenset[int]:
        """Words before which the announcement may stop when a newer note's announcement waits.

        In a note announcement: before each further note of its list (the notes not yet said
        move to the newer announcement) and anywhere in its running total (the newer one says
        the newer total). A note's own words, once begun, are always said to the end.
        """
        if self.kind != "note":
            return frozenset()
        listed = {i for i, w in enumerate(self.words) if w in LIST_WORDS}
        return frozenset(listed | set(range(self._total_from, len(self.words))))

    def notes_said(self, count: int) -> int:
        """How many of a note announcement's notes were said in full by its first `count` words."""
        ends = [i for i, w in enumerate(self.words[:self._total_from]) if w in LIST_WORDS] + [self._total_from]
        return sum(1 for end in ends if end <= count)

    @property
    def _total_from(self) -> int:
        """Where a note announcement's running total begins (the pause before it), else its end."""
        return next((i for i, w in enumerate(self.words) if w in PAUSE_WORDS), len(self.words))

    @property
    def text(self) -> str:
        """The announcement as a person reads it."""
        if self.locale == "zh-CN":
            return "".join(w.text for w in self.words)
        text = ""
        for word in self.words:
            text += word.text if not word.say else (" " if text else "") + word.text
        sentences = hyphenate(text + ".").split(". ")
        return ". ".join(s[:1].upper() + s[1:] for s in sentences)


def _phrase(name: str, locale: str) -> Word:
    zh, pinyin, en = _PHRASES[name]
    return Word(zh, pinyin) if locale == "zh-CN" else Word(en, en)


def _amount(fen: int, locale: str) -> tuple[Word, ...]:
    return zh_words(fen) if locale == "zh-CN" else en_words(fen)


def _say(kind: str, locale: str, *parts: str | int | Word | None) -> Announcement:
    """Parts in order: a phrase name, an amount in fen, a Word, or None for a pause between phrases."""
    if locale not in LOCALES:
        raise ValueError(f"locale must be one of {LOCALES}, got {locale!r}")
    words: list[Word] = []
    for part in parts:
        if part is None:
            words.append(PAUSE if locale == "zh-CN" else _EN_PAUSE)
        elif isinstance(part, Word):
            words.append(part)
        elif isinstance(part, int):
            words += _amount(part, locale)
        else:
            words.append(_phrase(part, locale))
    return Announcement(kind, locale, tuple(words))


def note_accepted(values: tuple[int, ...], total: int, locale: str) -> Announcement:
    """Notes counted (usually one): 收到壹佰元，共计壹佰贰拾元; 收到壹佰元、伍拾元，共计…."""
    if not values:
        raise ValueError("a note announcement needs at least one note")
    listed: list[int | Word] = [values[0]]
    for value in values[1:]:
        listed += [_LIST[locale], value]
    if values == (total,):
        return _say("note", locale, "received", *listed)  # the first note: its value is the total
    return _say("note", locale, "received", *listed, None, "total", total)


def note_returned(value: int | None, locale: str) -> Announcement:
    """A note went back to the customer (over a limit, or a payment that cannot take it)."""
    if value:
        return _say("returned", locale, "returned", value)
    return _say("returned", locale, "note_returned")


def note_rejected(locale: str) -> Announcement:
    """The validator did not recognise a note and gave it back."""
    return _say("rejected", locale, "not_recognised", None, "returned_short")


def result(status: str, amount: int, locale: str) -> Announcement:
    """The payment's outcome, as the result screen says it."""
    if status == "credited":
        return _say("result", locale, "credited", None, "total", amount, None, "thanks")
    if status == "pending":
        return _say("result", locale, "cash_received", amount, None, "pending")
    return _say("result", locale, "cash_received", amount, None, "ask_staff")


def vocabulary(locale: str) -> frozenset[Word]:
    """Every word (clip) an announcement in `locale` can use, pauses excluded."""
    numbers = zh_vocabulary() if locale == "zh-CN" else en_vocabulary()
    return numbers | {_phrase(name, locale) for name in _PHRASES}
