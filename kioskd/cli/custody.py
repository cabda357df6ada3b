"""`kioskctl tech add|disable|list`: technicians for dual custody, directly on the journal."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from kioskd.cli.where import resolve
from kioskd.ledger import Ledger, LedgerError
from kioskd.ledger.custody import pin_problem, read_identity

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `tech add ID --name NAME [--pin-stdin]`, `tech disable ID`, `tech list` (on --state's journal)."""
    tech = subparsers.add_parser("tech", help="technicians who open the cash box (two at a time)")
    tech.add_argument("--kiosk", help="kiosk id, only for a journal that does not exist yet")
    sub = tech.add_subparsers(dest="tech_command", required=True)
    add = sub.add_parser("add", help="add a technician; the PIN (>= 6 digits) is asked twice")
    add.add_argument("id", help="technician ID (digits, typed on the keypad)")
    add.add_argument("--name", required=True, help="full name as printed on the cash statement")
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN from the first line of stdin")
    add.set_defaults(func=_add)
    disable = sub.add_parser("disable", help="disable a technician (kept in the record)")
    disable.add_argument("id")
    disable.set_defaults(func=_disable)
    listing = sub.add_parser("list", help="list technicians")
    listing.set_defaults(func=_list)


def _read_pin(args: argparse.Namespace) -> str | None:
    if args.pin_stdin:
        return sys.stdin.readline().strip()
    first = getpass.getpass("PIN (at least 6 digits): ")
    if getpass.getpass("PIN again: ") != first:
        print("the two PINs differ", file=sys.stderr)
        return None
    return first


def _add(args: argparse.Namespace) -> int:
    if not args.id.isascii() or not args.id.isdigit():
        print("technician ID must be digits (it is typed on the kiosk keypad)", file=sys.stderr)
        return EXIT_USAGE
    pin = _read_pin(args)
    if pin is None:
        return EXIT_USAGE
    problem = pin_problem(pin)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    return _with_ledger(args, lambda ledger: ledger.tech_add(args.id, args.name, pin), f"added technician {args.id}")


def _disable(args: argparse.Namespace) -> int:
    return _with_ledger(args, lambda ledger: ledger.tech_disable(args.id), f"disabled technician {args.id}")


def _list(args: argparse.Namespace) -> int:
    async def show(ledger: Ledger) -> None:
        techs = await ledger.tech_list()
        if not techs:
            print("none")
        for t in techs:
            state = "enabled" if t.enabled else "disabled"
            if t.locked_until:
                state += f", locked until {t.locked_until}"
            print(f"{t.id}\t{t.name}\t{state}\tfailures={t.failures}\tsince {t.created}")

    return _with_ledger(args, show, None)


def _with_ledger(args: argparse.Namespace, action: Any, done: str | None) -> int:
    target = resolve(args)
    identity = read_identity(target.state)
    if identity is None:
        if not args.kiosk:
            print(f"kioskctl: no journal in {target.state.absolute()} [from {target.describe()}]: "
                  "start kioskd once, name its state folder with --state DIR or --config FILE, "
                  "or pass --kiosk ID to create one", file=sys.stderr)
            return EXIT_USAGE
        identity = (args.kiosk, "CNY")

    async def run() -> None:
        ledger = await Ledger.open(target.state, *identity)
        try:
            await action(ledger)
        finally:
            await ledger.close()

    try:
        asyncio.run(run())
    except LedgerError as err:
        print(f"kioskctl: {err}", file=sys.stderr)
        return EXIT_FAILED
    if done:
        print(done)
    return EXIT_OK
