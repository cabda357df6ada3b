"""Amounts as words: Chinese financial numerals (壹佰贰拾元伍角) with their Mandarin readings, and English.

Pure functions of integer fen. Each amount is a tuple of `Word`s: what is written and what
the speech engine reads (pinyin with tone numbers for zh-CN, plain words for en). A spoken
amount is the clips of its words in order, so every word any amount can use is in
`zh_vocabulary()` / `en_vocabulary()` and is rendered once, ahead of time.

Written text follows the financial style (壹拾元, 贰佰元); the readings follow speech:
a leading 壹拾 is read "十", 2 before 佰/仟/万/亿 at the start and a lone 2 of a unit are
read "两" (两百元, 两元, 两角), and 一 changes tone before a unit (一百 yì bǎi, 一万 yí wàn).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_FEN = 10**14 - 1  # 9,999亿9,999万9,999元9角9分: far above any payment


@dataclass(frozen=True)
class Word:
    """One spoken unit: `text` as written, `say` as the speech engine reads it ("" = a pause)."""

    text: str
    say: str


PAUSE = Word("，", "")  # between phrases: a short silence, a comma in the text

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PINYIN = ("ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")
_PLACES = (("", ""), ("拾", "shi2"), ("佰", "bai3"), ("仟", "qian1"))  # within a group of four
_GROUPS = (("", ""), ("万", "wan4"), ("亿", "yi4"))  # every four digits
ZERO = Word("零", "ling2")
YUAN, JIAO, FEN = Word("元", "yuan2"), Word("角", "jiao3"), Word("分", "fen1")
_FOURTH_TONE = frozenset({"wan4", "yi4"})  # 一 before these reads yí


def _check(fen: int) -> None:
    if isinstance(fen, bool) or not isinstance(fen, int) or not 0 <= fen <= MAX_FEN:
        raise ValueError(f"amount must be an integer number of fen in 0..{MAX_FEN}, got {fen!r}")


def _digit_say(digit: int, place: int, first: bool, before: str) -> str:
    """How digit (1-9) is read at `place` (0-3); `before` is the reading of the next word."""
    if digit == 1:
        if place == 1:
            return "shi2" if first else "yi1 shi2"  # 十五元, but 一百一十元
        if place in (2, 3):
            return f"yi4 {_PLACES[place][1]}"
        if before in _FOURTH_TONE:
            return "yi2"  # 一万
        return "yi4" if first and before else "yi1"  # 一元 (alone before a unit), 二十一
    if digit == 2 and first and (place in (2, 3) or (place == 0 and before)):
        # 两百, 两千, 两万, 两元; but 二十 and the 2 inside a number (一百零二) stay 二
        say = "liang3"
    else:
        say = _PINYIN[digit]
    return f"{say} {_PLACES[place][1]}" if place else say


def _integer_words(n: int, unit: Word) -> list[Word]:
    """Words of n > 0 followed by `unit` (元, 角 or 分)."""
    digits = str(n)
    words: list[Word] = []
    zero_pending = False
    group_has = False
    top = len(digits) - 1
    for index, char in enumerate(digits):
        position = top - index
        place, group = position % 4, position // 4
        digit = int(char)
        if digit == 0:
            zero_pending = zero_pending or bool(words)
        else:
            if zero_pending:
                words.append(ZERO)
                zero_pending = False
            if place == 0 and group:
                before = _GROUPS[group][1]
            elif place == 0:
                before = unit.say if not words else ""
            else:
                before = ""
            say = _digit_say(digit, place, first=not words, before=before)
            words.append(Word(_DIGITS[digit] + _PLACES[place][0], say))
            group_has = True
        if place == 0 and group and group_has:
            words.append(Word(*_GROUPS[group]))
            group_has = False
            zero_pending = False  # 十万一千: a zero just before 万 is not read
    # the unit's own 一: "一元" reads yì (before 元), "十一元" keeps yī (end of a number)
    return [*words, unit]


def zh_words(fen: int) -> tuple[Word, ...]:
    """The amount in Chinese financial numerals, as spoken words: 12050 -> 壹佰贰拾元伍角."""
    _check(fen)
    yuan, rest = divmod(fen, 100)
    jiao, cents = divmod(rest, 10)
    words: list[Word] = []
    if yuan:
        words += _integer_words(yuan, YUAN)
    if jiao:
        words += _integer_words(jiao, JIAO)
    if cents:
        if words and not jiao:
            words.append(ZERO)  # 壹佰元零伍分
        words += _integer_words(cents, FEN)
    return tuple(words) if words else (ZERO, YUAN)


def zh_text(fen: int) -> str:
    """The amount as written in financial numerals (壹佰贰拾元伍角)."""
    return "".join(word.text for word in zh_words(fen))


def zh_vocabulary() -> frozenset[Word]:
    """Every word zh_words can give: the clips to render ahead of time."""
    words = {ZERO, YUAN, JIAO, FEN, *(Word(*g) for g in _GROUPS[1:])}
    befores = ("", "yuan2", "jiao3", "fen1", *(g[1] for g in _GROUPS[1:]))
    for digit in range(1, 10):
        for place in range(4):
            for first in (True, False):
                for before in befores if place == 0 else ("",):
                    say = _digit_say(digit, place, first, before)
                    words.add(Word(_DIGITS[digit] + _PLACES[place][0], say))
    return frozenset(words)


_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ("", "thousand", "million", "billion")
_TENS_ONES = re.compile(rf"\b({'|'.join(_TENS[2:])}) ({'|'.join(_ONES[1:10])})\b")


def _en_below_1000(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
        if rest:
            words.append("and")
    if rest >= 20:
        words.append(_TENS[rest // 10])
        if rest % 10:
            words.append(_ONES[rest % 10])
    elif rest:
        words.append(_ONES[rest])
    return words


def _en_integer(n: int) -> list[str]:
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words: list[str] = []
    for scale in range(len(groups) - 1, -1, -1):
        group = groups[scale]
        if not group:
            continue
        if scale == 0 and words and group < 100:
            words.append("and")  # one thousand and five
        words += _en_below_1000(group)
        if scale:
            words.append(_SCALES[scale])
    return words


def en_words(fen: int) -> tuple[Word, ...]:
    """The amount in English words: 12050 -> one hundred and twenty yuan and fifty fen."""
    _check(fen)
    yuan, cents = divmod(fen, 100)
    said: list[str] = []
    if yuan or not cents:
        said += [*(_en_integer(yuan) or ["zero"]), "yuan"]
    if cents:
        said += [*(["and"] if yuan else []), *_en_integer(cents), "fen"]
    return tuple(Word(word, word) for word in said)


def hyphenate(text: str) -> str:
    """English number words with tens and ones joined as written (twenty-five)."""
    return _TENS_ONES.sub(r"\1-\2", text)


def en_text(fen: int) -> str:
    """The amount in English words (one hundred and twenty-five yuan)."""
    return hyphenate(" ".join(word.text for word in en_words(fen)))


def en_vocabulary() -> frozenset[Word]:
    """Every word en_words can give."""
    said = {*_ONES, *_TENS[2:], *_SCALES[1:], "hundred", "and", "yuan", "fen"}
    return frozenset(Word(word, word) for word in said)
