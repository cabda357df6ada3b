"""`kioskd-backend`: serve the reference backend, enrol kiosks, manage operators, export and report."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Any

from refbackend.cli.admin import kiosk_command, operator_command
from refbackend.cli.exports import (
    closes_command,
    collection_command,
    export_command,
    report_command,
)
from refbackend.cli.serve import serve
from refbackend.fleet.config import FleetConfigError
from refbackend.store import is_postgres_url, open_store

_DB_HELP = "SQLite file, or a postgresql://USER@HOST:PORT/DBNAME URL"


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise argparse.ArgumentTypeError(f"--listen: HOST:PORT required, got {text!r}")
    return host, int(port)


def _enrolment(text: str) -> tuple[str, str]:
    kid, sep, key = text.partition("=")
    if not sep or not kid or not key:
        raise argparse.ArgumentTypeError(f"--enroll: KID=PUBKEY_B64URL required, got {text!r}")
    return kid, key


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"--workers: 1-64 required, got {text!r}")
    return int(text)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"--day: YYYY-MM-DD required, got {text!r}") from err


def _db(text: str) -> Path | str:
    return text if is_postgres_url(text) else Path(text)


def _with_db(sub: Any, name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text)
    parser.add_argument("--db", type=_db, required=True, help=_DB_HELP)
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of kioskd-backend."""
    parser = argparse.ArgumentParser(prog="kioskd-backend", description="kioskd reference backend")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_p = _with_db(sub, "serve", "serve the backend API and the operator's page", None)
    serve_p.set_defaults(func=None, serve=True)
    serve_p.add_argument("--listen", type=_listen, default=("127.0.0.1", 8090), help="HOST:PORT")
    serve_p.add_argument("--workers", type=_workers, default=1, help="processes sharing the port (default 1)")
    serve_p.add_argument("--config", type=Path, help="[fleet] TOML (docs/spec/fleet.md)")
    serve_p.add_argument("--accounts", type=Path, help="accounts TOML (default: the demo accounts)")
    serve_p.add_argument("--enroll", type=_enrolment, action="append", default=[], metavar="KID=PUBKEY_B64URL")
    report = _with_db(sub, "report", "payments, totals per kiosk and day, alerts", report_command)
    report.add_argument("--json", action="store_true", help="print JSON")
    report.add_argument("--config", type=Path, help="[fleet] TOML: the halls' timezone (docs/spec/fleet.md)")
    kiosk = sub.add_parser("kiosk", help="enrol, disable, enable, list kiosks")
    kiosk_sub = kiosk.add_subparsers(dest="action", required=True)
    add = _with_db(kiosk_sub, "add", "enrol (or re-key, or move) a kiosk", kiosk_command)
    add.add_argument("kiosk_id")
    add.add_argument("--hall", required=True)
    add.add_argument("--key", required=True, help="raw Ed25519 public key, base64url (kioskctl keys show)")
    for action in ("disable", "enable"):
        _with_db(kiosk_sub, action, f"{action} a kiosk", kiosk_command).add_argument("kiosk_id")
    listing = _with_db(kiosk_sub, "list", "enrolled kiosks", kiosk_command)
    listing.add_argument("--hall")
    listing.add_argument("--json", action="store_true")
    operator = sub.add_parser("operator", help="operator accounts of the operator's page")
    op_sub = operator.add_subparsers(dest="action", required=True)
    op_add = _with_db(op_sub, "add", "add an operator; the password is read from stdin", operator_command)
    op_add.add_argument("login")
    op_add.add_argument("--name", required=True)
    _with_db(op_sub, "disable", "disable an operator", operator_command).add_argument("login")
    _with_db(op_sub, "list", "operators", operator_command)
    export = sub.add_parser("export", help="reconciliation CSV of one local day")
    export_sub = export.add_subparsers(dest="what", required=True)
    for what in ("payments", "custody"):
        p = _with_db(export_sub, what, f"one row per {what[:-1] if what == 'payments' else 'custody session'}",
                     export_command)
        p.add_argument("--day", type=_day, required=True)
    closes = _with_db(sub, "closes", "each daily close against the kiosk's count differences", closes_command)
    closes.add_argument("--kiosk")
    closes.add_argument("--json", action="store_true", help="print JSON")
    collection = _with_db(sub, "collection", "the kiosks to empty on a day (default tomorrow)", collection_command)
    collection.add_argument("--day", type=_day)
    for p in (collection, *export_sub.choices.values()):
        p.add_argument("--hall")
        p.add_argument("--config", type=Path, help="[fleet] TOML (docs/spec/fleet.md)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the kioskd-backend console script."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if getattr(args, "serve", False):
        return serve(args)
    if isinstance(args.db, Path) and not args.db.exists():
        print(f"kioskd-backend: {args.db} does not exist", file=sys.stderr)
        return 1
    try:
        store = open_store(args.db)
    except OSError as err:
        print(f"kioskd-backend: {err}", file=sys.stderr)
        return 1
    try:
        return args.func(store, args)
    except FleetConfigError as err:
        print(f"kioskd-backend: {err}", file=sys.stderr)
        return 78
    except ValueError as err:
        print(f"kioskd-backend: {err}", file=sys.stderr)
        return 2
    finally:
        store.close()
