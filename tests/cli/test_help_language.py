"""kioskctl --help reads in the command line's language: zh-CN unless --lang en (before or after the
subcommand), for kioskctl itself and for each subcommand; every help text has its zh-CN words."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from kioskd.cli.help_words import ARGPARSE_ZH, HELP_ZH
from kioskd.cli.main import build_parser
from kioskd.cli.main import main as kioskctl


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps to the terminal: the same lines in any


def helped(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What kioskctl ARGV prints as it exits 0 with its help."""
    with pytest.raises(SystemExit) as exit_:
        kioskctl(list(argv))
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_kioskctl_help_reads_in_zh_cn_by_default_and_in_english_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    zh = helped(capsys, "--help")
    assert zh.startswith("用法：kioskctl [-h]") and "\n位置参数:\n" in zh and "\n选项:\n" in zh
    for words in ("kioskd 工作人员与安装维护命令", "-h, --help            显示本帮助并退出",
                  "case                差错/投诉单：为出错的缴费立案、跟进、处理", "输出与帮助的语言（默认 zh-CN）"):
        assert words in zh
    assert "show this help" not in zh and "cases (" not in zh
    for argv in (("--help", "--lang", "en"), ("--lang", "en", "--help"), ("--lang=en", "-h")):
        en = helped(capsys, *argv)
        assert en.startswith("usage: kioskctl [-h]") and "\npositional arguments:\n" in en, argv
        assert "case                cases (差错/投诉): open, follow, settle a payment that went" in en
        assert "显示本帮助" not in en


def test_a_subcommands_help_reads_in_the_language_asked(capsys: pytest.CaptureFixture[str]) -> None:
    zh = helped(capsys, "staff", "add", "--help")
    assert zh.startswith("用法：kioskctl staff add [-h]")
    assert "  id                    工号（数字，也在终端键盘上输入）" in zh
    assert "从标准输入的第一行读取 PIN 或密码" in zh and "staff ID" not in zh
    for argv in (("staff", "add", "--help", "--lang", "en"), ("--lang", "en", "staff", "add", "-h")):
        en = helped(capsys, *argv)
        assert en.startswith("usage: kioskctl staff add [-h]")
        assert "  id                    staff ID (digits, typed on the kiosk keypad too)" in en, argv
    assert "显示本帮助并退出" in helped(capsys, "audit", "verify", "-h", "--lang", "zh-CN")


def test_lang_before_the_subcommand_is_the_commands_language(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    assert kioskctl(["--lang", "en", "staff", "list", "--state", str(tmp_path)]) != 0
    assert capsys.readouterr().err.startswith(f"kioskctl: no journal in {tmp_path}")
    assert kioskctl(["staff", "list", "--state", str(tmp_path)]) != 0
    assert capsys.readouterr().err.startswith(f"kioskctl: 找不到账本：{tmp_path}")


def _help_texts(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, str]]:
    """(where, text) for every description and help text of `parser` and its subcommands."""
    if parser.description:
        yield path, parser.description
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            yield f"{path} {'/'.join(action.option_strings) or action.dest}", action.help
        if isinstance(action, argparse._SubParsersAction):
            yield from ((f"{path} {c.dest}", c.help) for c in action._choices_actions if c.help)
            for name, sub in action.choices.items():
                yield from _help_texts(sub, f"{path} {name}")


def test_every_help_text_has_its_zh_cn_words() -> None:
    missing = sorted({f"{where}: {text!r}" for where, text in _help_texts(build_parser(), "kioskctl")
                      if text not in HELP_ZH and text not in ARGPARSE_ZH})
    assert not missing, "help texts without zh-CN words in kioskd/cli/help_words.py:\n" + "\n".join(missing)
    assert all("%" not in words for words in HELP_ZH.values())  # argparse would read it as a format
