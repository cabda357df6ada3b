"""kioskctl's usage errors read in the command line's language: zh-CN unless --lang en, though
argparse refuses a value before any command reads --lang."""

from __future__ import annotations

import pytest

from kioskd.cli.main import main as kioskctl


def refusal(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The one line kioskctl ARGV writes as it exits 2."""
    with pytest.raises(SystemExit) as exit_:
        kioskctl(list(argv))
    assert exit_.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    return line


def test_our_own_type_functions_refuse_in_the_language_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert refusal(capsys, "sim", "insert", "abc") == (
        "kioskctl sim insert: 参数 value：应为以元计的金额，如 125.00，而不是 'abc'（用法见 kioskctl sim insert --help）")
    assert refusal(capsys, "sim", "insert", "--lang", "en", "abc") == (
        "kioskctl sim insert: argument value: an amount in yuan like 125.00, got 'abc' "
        "(see kioskctl sim insert --help)")
    assert refusal(capsys, "txn", "list", "--amount", "12.345", "--lang=en") == (
        "kioskctl txn list: argument --amount: an amount in yuan like 125.00, got '12.345' "
        "(see kioskctl txn list --help)")
    assert refusal(capsys, "case", "open", "--claim", "1e3", "--lang", "zh-CN").startswith(
        "kioskctl case open: 参数 --claim：应为以元计的金额，如 125.00，而不是 '1e3'")


def test_argparse_own_refusals_read_in_zh_cn_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert refusal(capsys, "tech") == "kioskctl tech: 缺少参数：tech_command（用法见 kioskctl tech --help）"
    assert refusal(capsys, "difference", "list", "--status", "x") == (
        "kioskctl difference list: 参数 --status：无效的选项 'x'（可选：'open', 'resolved', 'all'）"
        "（用法见 kioskctl difference list --help）")
    assert refusal(capsys, "difference", "list", "--limit", "x") == (
        "kioskctl difference list: 参数 --limit：无效的值 'x'（应为整数）（用法见 kioskctl difference list --help）")
    assert refusal(capsys, "status", "--bogus") == "kioskctl: 无法识别的参数：--bogus（用法见 kioskctl --help）"
    # an unknown --lang is refused by the parser, in the default language
    assert refusal(capsys, "status", "--lang", "fr") == (
        "kioskctl status: 参数 --lang：无效的选项 'fr'（可选：'zh-CN', 'en'）（用法见 kioskctl status --help）")
    assert refusal(capsys, "status", "--lang", "en", "--bogus") == (
        "kioskctl: unrecognized arguments: --bogus (see kioskctl --help)")


def test_an_alert_action_without_its_id_says_so_in_the_language_asked(capsys: pytest.CaptureFixture[str]) -> None:
    for lang, said in (("zh-CN", "kioskctl: alerts ack 须指定告警编号"), ("en", "kioskctl: alerts ack needs an alert id")):
        with pytest.raises(SystemExit) as exit_:
            kioskctl(["alerts", "ack", "--lang", lang, "--socket", "unused.sock"])
        assert exit_.value.code == said
