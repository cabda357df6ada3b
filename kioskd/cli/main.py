"""`kioskctl`: the staff and installer command line."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each module adds its own subcommands with add_commands(subparsers); func(args) -> exit code.
COMMAND_MODULES = ("kioskd.cli.keys", "kioskd.cli.receipts", "kioskd.cli.staff",
                   "kioskd.cli.backup", "kioskd.cli.custody", "kioskd.cli.audit")


def build_parser() -> argparse.ArgumentParser:
    """The kioskctl argument parser with every area's subcommands."""
    parser = argparse.ArgumentParser(prog="kioskctl", description="kioskd staff and installer commands")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `kioskctl` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except OSError as err:
        print(f"kioskctl: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
