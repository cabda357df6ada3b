"""kioskctl finds its kiosk the same way in every subcommand: --config / $KIOSKD_CONFIG,
--socket and --state before or after the subcommand, and one-line errors that say what to do."""

from __future__ import annotations

import argparse
import asyncio
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest

from kioskd import config as cfg
from kioskd.cli import where
from kioskd.cli.main import build_parser
from kioskd.cli.main import main as kioskctl
from tests.daemon import ROOT, start_kiosk


def leaf_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every runnable subcommand, as the words that name it followed by its positional arguments."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        words = list(path)
        for a in parser._actions:
            if a.required and a.option_strings:
                words += [a.option_strings[0], str(a.choices[0]) if a.choices else "1"]
            elif not a.option_strings and a.nargs != "?":
                words.append(str(a.choices[0]) if a.choices else "1")
        return [tuple(words)]
    return [leaf for name, sub in subs[0].choices.items() for leaf in leaf_commands(sub, (*path, name))]


def write_config(path: Path, state: Path, socket: Path) -> Path:
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    text = text.replace('path = "var/sim"', f'path = "{state}"')
    text = text.replace('socket = "var/sim/control.sock"', f'socket = "{socket}"')
    path.write_text(text, encoding="utf-8")
    return path


def test_every_subcommand_takes_the_place_options_before_or_after_it(tmp_path: Path) -> None:
    parser = build_parser()
    leaves = leaf_commands(parser)
    assert {("status",), ("tech", "list"), ("sim", "insert", "1"), ("tech", "add", "1", "--name", "1")} <= set(leaves)
    place = ["--config", "c.toml", "--socket", "s.sock", "--state", "st"]
    for words in leaves:
        for argv in ([*place, *words], [*words, *place], [words[0], *place, *words[1:]], [*words, *place[:2]]):
            args = parser.parse_args(argv)
            if len(argv) == len(words) + 2:  # only --config: the others stay unset, not overwritten
                assert (args.config, args.socket, args.state) == (Path("c.toml"), None, None), argv
                continue
            assert (args.config, args.socket, args.state) == (Path("c.toml"), "s.sock", Path("st")), argv


def test_config_env_and_overrides_in_that_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    named = write_config(tmp_path / "named.toml", tmp_path / "named", tmp_path / "named.sock")
    env = write_config(tmp_path / "env.toml", tmp_path / "env", tmp_path / "env.sock")
    ns = argparse.Namespace

    monkeypatch.setenv("KIOSKD_CONFIG", str(env))
    found = where.resolve(ns(config=None, socket=None, state=None))
    assert (found.config, found.socket, found.state, found.key) == (
        env, str(tmp_path / "env.sock"), tmp_path / "env", tmp_path / "env" / "kiosk.key")
    found = where.resolve(ns(config=named, socket=None, state=None))
    assert (found.socket, found.state) == (str(tmp_path / "named.sock"), tmp_path / "named")
    found = where.resolve(ns(config=named, socket="other.sock", state=tmp_path / "x"))
    assert (found.socket, found.state, found.key) == ("other.sock", tmp_path / "x", tmp_path / "x" / "kiosk.key")


def test_a_checkout_without_an_installed_config_reaches_make_runs_kiosk() -> None:
    if where.INSTALLED_CONFIG.exists():
        pytest.skip(f"{where.INSTALLED_CONFIG} exists: an installed kiosk comes first")
    config = cfg.load(ROOT / "config" / "simulate.toml")
    # what `make run` (kioskd run --simulate from the checkout) prints: plain kioskctl
    assert where.kioskctl_line("kioskctl", config, socket="var/sim/control.sock") == "kioskctl status"
    found = where.resolve(argparse.Namespace(config=None, socket=None, state=None))
    assert found.config == where.CHECKOUT_CONFIG and found.socket == "var/sim/control.sock"


def test_errors_are_one_line_that_say_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path / "k.toml", tmp_path / "state", tmp_path / "gone.sock")
    assert kioskctl(["status", "--config", str(config), "--lang", "en"]) == 3
    [line] = capsys.readouterr().err.splitlines()
    assert f"no control socket at {tmp_path / 'gone.sock'}" in line
    assert f"from --config {config}" in line and "--socket PATH" in line and "`make run`" in line

    # the checkout's simulated kiosk from another folder: its paths are the checkout's
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(where, "INSTALLED_CONFIG", tmp_path / "no-installed.toml")
    assert kioskctl(["status", "--lang", "en"]) == 3
    [line] = capsys.readouterr().err.splitlines()
    assert line == (f"kioskctl: no control socket at var/sim/control.sock: is kioskd running? [tried "
                    f"{tmp_path / 'var/sim/control.sock'}]: `make run` keeps its kiosk in the checkout, run "
                    f"kioskctl from {ROOT}, or give --config FILE or --socket PATH")

    assert kioskctl(["--config", str(config), "audit", "verify", "--lang", "en"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"cannot read the kiosk key ({tmp_path / 'state' / 'kiosk.key'}: No such file or directory)" in line
    assert "--key FILE or --pubkey B64" in line

    assert kioskctl(["tech", "list", "--config", str(config), "--lang", "en"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"no journal in {tmp_path / 'state'}" in line and "--state DIR" in line

    assert kioskctl(["alerts", "--config", str(tmp_path / "missing.toml")]) == cfg.EXIT_CONFIG
    [line] = capsys.readouterr().err.splitlines()
    assert "missing.toml" in line and "file not found" in line

    # usage errors too: one line and where the help is (zh-CN ones: tests/cli/test_usage_language.py)
    for argv, line_said in (
        (["sim", "insert", "abc", "--lang", "en"], "kioskctl sim insert: argument value: an amount in yuan like 125.00, "
                                   "got 'abc' (see kioskctl sim insert --help)"),
        (["tech", "--lang", "en"], "kioskctl tech: the following arguments are required: tech_command (see kioskctl tech --help)"),
    ):
        with pytest.raises(SystemExit) as exit_:
            kioskctl(argv)
        assert exit_.value.code == 2 and capsys.readouterr().err.splitlines() == [line_said]


async def run(argv: list[str]) -> tuple[int, str, str]:
    """A command as the user pastes it in the checkout: (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(*argv, cwd=ROOT, stdout=PIPE, stderr=PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_the_line_a_simulated_run_prints_reaches_it(tmp_path: Path) -> None:
    kiosk = await start_kiosk(tmp_path / "s")
    try:
        printed = [line for line in kiosk.output if "staff commands:" in line]
        line = printed[0].split("staff commands:")[1].split()
        assert line == [".venv/bin/kioskctl", "--state", str(tmp_path / "s"), "status"]
        code, out, err = await run(line)
        assert code == 0 and "K-SIM-01  状态: 空闲，等待顾客  (模拟)" in out, err  # the state in words
        # the same place options after the subcommand; empty lists say so
        assert await run([line[0], "alerts", *line[1:-1], "--lang", "en"]) == (0, "no alerts\n", "")
        assert await run([line[0], "tech", "list", *line[1:-1]]) == (0, "无\n", "")
    finally:
        await kiosk.stop()


def test_no_journal_says_which_config_was_read_in_the_staffs_language(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path / "k.toml", tmp_path / "state", tmp_path / "gone.sock")
    monkeypatch.delenv(where.ENV_CONFIG, raising=False)
    monkeypatch.setattr(where, "INSTALLED_CONFIG", config)  # found as the installed config
    assert kioskctl(["tech", "list"]) == 2  # zh-CN by default
    [line] = capsys.readouterr().err.splitlines()
    assert f"找不到账本：{tmp_path / 'state'} [{config}（已安装的配置）]" in line and "installed" not in line
    assert kioskctl(["tech", "list", "--lang", "en"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"no journal in {tmp_path / 'state'} [from {config}, the installed config]" in line
