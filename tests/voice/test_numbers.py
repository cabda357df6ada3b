"""Amounts as spoken words: financial numerals, their Mandarin readings and English, round-tripped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kioskd.customer.voice.numbers import (
    MAX_FEN,
    en_text,
    en_vocabulary,
    en_words,
    zh_text,
    zh_vocabulary,
    zh_words,
)

_DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_SMALL = {"拾": 10, "佰": 100, "仟": 1000}
_BIG = {"万": 10**4, "亿": 10**8}


def parse_integer(text: str) -> int:
    """A financial-numeral integer, read the textbook way (sections closed by 万 and 亿)."""
    total = section = number = 0
    for char in text:
        if char in _DIGIT:
            number = _DIGIT[char]
        elif char in _SMALL:
            section += number * _SMALL[char]
            number = 0
        else:
            total += (section + number) * _BIG[char]
            section = number = 0
    return total + section + number


def parse_zh(text: str) -> int:
    """Fen from a written amount like 壹佰贰拾元零伍分."""
    fen = 0
    for unit, scale in (("元", 100), ("角", 10), ("分", 1)):
        if unit in text:
            head, text = text.split(unit, 1)
            fen += parse_integer(head.lstrip("零")) * scale
    assert text == "", f"left over: {text!r}"
    return fen


_EN = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
    " sixteen seventeen eighteen nineteen".split())}
_EN.update({w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)})


def parse_en_integer(words: list[str]) -> int:
    total = group = 0
    for word in words:
        if word in _EN:
            group += _EN[word]
        elif word == "hundred":
            group *= 100
        elif word != "and":
            total += group * {"thousand": 10**3, "million": 10**6, "billion": 10**9}[word]
            group = 0
    return total + group


def parse_en(text: str) -> int:
    words = text.replace("-", " ").split()
    fen = 0
    if "yuan" in words:
        at = words.index("yuan")
        fen += parse_en_integer(words[:at]) * 100
        words = words[at + 1:]
    if "fen" in words:
        fen += parse_en_integer(words[: words.index("fen")])
    return fen


amounts = st.one_of(st.integers(0, MAX_FEN), st.integers(0, 1_000_000),
                    st.sampled_from([0, 1, 10, 100, 1000, 10**6, 10**8, 10**10, 10**12]))


@given(amounts)
def test_written_chinese_reads_back_to_the_same_fen(fen: int) -> None:
    text = zh_text(fen)
    assert parse_zh(text) == fen
    assert "零零" not in text
    assert not text.startswith("零") or fen == 0
    for unit in "元角分万亿":
        assert f"零{unit}" not in text or text == "零元"


@given(amounts)
def test_every_spoken_word_has_a_clip(fen: int) -> None:
    assert set(zh_words(fen)) <= zh_vocabulary()
    assert set(en_words(fen)) <= en_vocabulary()


@given(amounts)
def test_english_reads_back_to_the_same_fen(fen: int) -> None:
    assert parse_en(en_text(fen)) == fen


@pytest.mark.parametrize(("fen", "text", "said"), [
    (10000, "壹佰元", "yi4 bai3|yuan2"),
    (12000, "壹佰贰拾元", "yi4 bai3|er4 shi2|yuan2"),
    (12050, "壹佰贰拾元伍角", "yi4 bai3|er4 shi2|yuan2|wu3|jiao3"),
    (12005, "壹佰贰拾元零伍分", "yi4 bai3|er4 shi2|yuan2|ling2|wu3|fen1"),
    (1000, "壹拾元", "shi2|yuan2"),
    (1500, "壹拾伍元", "shi2|wu3|yuan2"),
    (11000, "壹佰壹拾元", "yi4 bai3|yi1 shi2|yuan2"),
    (100, "壹元", "yi4|yuan2"),
    (200, "贰元", "liang3|yuan2"),
    (2100, "贰拾壹元", "er4 shi2|yi1|yuan2"),
    (20000, "贰佰元", "liang3 bai3|yuan2"),
    (120000, "壹仟贰佰元", "yi4 qian1|er4 bai3|yuan2"),
    (100500, "壹仟零伍元", "yi4 qian1|ling2|wu3|yuan2"),
    (1000000, "壹万元", "yi2|wan4|yuan2"),
    (10100000, "壹拾万壹仟元", "shi2|wan4|yi4 qian1|yuan2"),
    (10010000, "壹拾万零壹佰元", "shi2|wan4|ling2|yi4 bai3|yuan2"),
    (20, "贰角", "liang3|jiao3"),
    (5, "伍分", "wu3|fen1"),
    (0, "零元", "ling2|yuan2"),
])
def test_chinese_amounts_as_written_and_as_said(fen: int, text: str, said: str) -> None:
    assert zh_text(fen) == text
    assert "|".join(w.say for w in zh_words(fen)) == said


@pytest.mark.parametrize(("fen", "text"), [
    (10000, "one hundred yuan"),
    (12000, "one hundred and twenty yuan"),
    (12050, "one hundred and twenty yuan and fifty fen"),
    (100500, "one thousand and five yuan"),
    (2500, "twenty-five yuan"),
    (5, "five fen"),
    (0, "zero yuan"),
])
def test_english_amounts(fen: int, text: str) -> None:
    assert en_text(fen) == text


@pytest.mark.parametrize("bad", [-1, MAX_FEN + 1, 1.5, True, "100"])
def test_an_amount_that_is_not_whole_fen_in_range_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="fen"):
        zh_words(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fen"):
        en_words(bad)  # type: ignore[arg-type]
