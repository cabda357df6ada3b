"""`kioskctl`: the staff and installer command line."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, NoReturn

from kioskd import config as cfg
from kioskd.cli.usage import LANGS, SpokenHelp, language_of, speaking, usage_line
from kioskd.cli.where import add_everywhere, add_place_options

# Each module adds its own subcommands with add_commands(subparsers); func(args) -> exit code.
# The place options (--config, --socket, --state) are added here to every subcommand: a module
# reads them with kioskd.cli.where.resolve(args), never by options of its own.
COMMAND_MODULES = ("kioskd.cli.keys", "kioskd.cli.receipts", "kioskd.cli.staff",
                   "kioskd.cli.backup", "kioskd.cli.accounts", "kioskd.cli.audit", "kioskd.cli.payments",
                   "kioskd.cli.cases", "kioskd.cli.registers")


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a usage error in one line and the help, in the command line's language; the error says
    where the help is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", SpokenHelp)  # subcommands' parsers are OneLineParsers too
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Exit 2 with `kioskctl CMD: MESSAGE (see kioskctl CMD --help)`."""
        self.exit(2, usage_line(self.prog, message))


def build_parser() -> argparse.ArgumentParser:
    """The kioskctl argument parser with every area's subcommands (their parsers are OneLineParsers)."""
    parser = OneLineParser(prog="kioskctl", description="kioskd staff and installer commands")
    add_place_options(parser, top=True)
    # every command has its own --lang; this one lets it come first too (`kioskctl --lang en --help`)
    parser.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS,
                        help="language of the output and the help (default zh-CN)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    add_everywhere(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `kioskctl` console script."""
    argv = sys.argv[1:] if argv is None else argv
    lang = language_of(argv)
    with speaking(lang):  # argparse's refusals and --help come before any command reads --lang
        args = build_parser().parse_args(argv)
    if "lang" in vars(args):  # given before the subcommand, the subcommand's default would hide it
        args.lang = lang
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a reader gone shows here, where it is handled, not at interpreter exit
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader stopped reading (`kioskctl txn list | head`): end quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for such a tool
    except cfg.ConfigError as err:
        print(f"kioskctl: {err} (or name another with --config FILE)", file=sys.stderr)
        return cfg.EXIT_CONFIG
    except OSError as err:
        print(f"kioskctl: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
