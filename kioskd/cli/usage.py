"""kioskctl's usage errors in the language of the command line (--lang, zh-CN by default).

argparse checks the arguments before any command reads --lang, so main() reads it first
(`language_of`) and parses within `speaking(lang)`: a type function raises `Unreadable` with
both wordings and the one of the language is shown; argparse's own lines are put in zh-CN by
`usage_line`, and --help by `SpokenHelp` (the words: kioskd.cli.help_words).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from kioskd.cli.help_words import ARGPARSE_ZH, HELP_ZH

LANGS = ("zh-CN", "en")
_LANG: ContextVar[str] = ContextVar("kioskctl_lang", default="zh-CN")

# argparse's own messages (Python 3.11's wording) and how they read in zh-CN; any other stays as argparse says it
_ARGUMENT = re.compile(r"argument (.+?): (.*)", re.S)
_ARGPARSE_ZH = (
    (re.compile(r"the following arguments are required: (.*)"), "缺少参数：{0}"),
    (re.compile(r"invalid choice: (.*) \(choose from (.*)\)"), "无效的选项 {0}（可选：{1}）"),
    (re.compile(r"invalid int value: (.*)"), "无效的值 {0}（应为整数）"),
    (re.compile(r"invalid (\w+) value: (.*)"), "无效的值 {1}（应为 {0}）"),
    (re.compile(r"unrecognized arguments: (.*)"), "无法识别的参数：{0}"),
    (re.compile(r"expected one argument"), "须跟一个值"),
    (re.compile(r"expected at least one argument"), "须跟至少一个值"),
    (re.compile(r"one of the arguments (.*) is required"), "须给出以下参数之一：{0}"),
    (re.compile(r"not allowed with argument (.*)"), "不能与参数 {0} 同时使用"),
    (re.compile(r"ambiguous option: (.*) could match (.*)"), "选项 {0} 有歧义，可能是：{1}"),
)


class Unreadable(argparse.ArgumentTypeError):
    """A value a type function cannot read, worded in both languages; shown in the command line's."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return self.zh if _LANG.get() == "zh-CN" else self.en


def language_of(argv: list[str]) -> str:
    """The --lang a command line gives (zh-CN when none or an unknown one: the parser then says so)."""
    reader = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    reader.add_argument("--lang")
    try:
        given = reader.parse_known_args(argv)[0].lang
    except argparse.ArgumentError:  # `--lang` with no value: the real parser refuses it in words
        return "zh-CN"
    return given if given in LANGS else "zh-CN"


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Within it, usage errors read in `lang`."""
    token = _LANG.set(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


def _zh(message: str) -> str:
    m = _ARGUMENT.fullmatch(message)
    if m:  # "argument NAME: WHY": the why in words too
        return f"参数 {m[1]}：{_zh(m[2])}"
    for pattern, words in _ARGPARSE_ZH:
        m = pattern.fullmatch(message)
        if m:
            return words.format(*m.groups())
    return message


def usage_line(prog: str, message: str) -> str:
    """`kioskctl CMD: MESSAGE (see kioskctl CMD --help)` in the language being spoken."""
    if _LANG.get() == "zh-CN":
        return f"{prog}: {_zh(message)}（用法见 {prog} --help）\n"
    return f"{prog}: {message} (see {prog} --help)\n"


def spoken(text: str) -> str:
    """A help text (or argparse heading) in the language being spoken; as written when it has no zh words."""
    if _LANG.get() != "zh-CN":
        return text
    return HELP_ZH.get(text) or ARGPARSE_ZH.get(text) or text


class SpokenHelp(argparse.HelpFormatter):
    """argparse's help formatter, with the descriptions, help texts and headings in the language being spoken."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return spoken(action.help) if action.help else action.help

    def _format_text(self, text: str) -> str:
        return super()._format_text(spoken(text))

    def start_section(self, heading: str | None) -> None:
        super().start_section(spoken(heading) if heading else heading)

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[argparse._MutuallyExclusiveGroup], prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, spoken("usage: ") if prefix is None else prefix)
