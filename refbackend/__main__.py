"""`kioskd-backend serve|report`: run the reference backend or print what it holds."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from refbackend.server import ReferenceBackend
from refbackend.store import is_postgres_url, open_store


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


_DB_HELP = "SQLite file, or a postgresql://USER@HOST:PORT/DBNAME URL"


def _db(text: str) -> Path | str:
    return text if is_postgres_url(text) else Path(text)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of kioskd-backend."""
    parser = argparse.ArgumentParser(prog="kioskd-backend", description="kioskd reference backend")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the backend API")
    serve.add_argument("--listen", type=_listen, default=("127.0.0.1", 8090), help="HOST:PORT")
    serve.add_argument("--db", type=_db, required=True, help=_DB_HELP)
    serve.add_argument("--accounts", type=Path, help="accounts TOML (default: the demo accounts)")
    serve.add_argument("--enroll", type=_enrolment, action="append", default=[], metavar="KID=PUBKEY_B64URL")
    serve.set_defaults(func=_serve)
    report = sub.add_parser("report", help="payments, totals per kiosk and day, alerts")
    report.add_argument("--db", type=_db, required=True, help=_DB_HELP)
    report.add_argument("--json", action="store_true", help="print JSON")
    report.set_defaults(func=_report)
    return parser


def _serve(args: argparse.Namespace) -> int:
    try:
        backend = ReferenceBackend(args.db, args.accounts)
        for kid, key in args.enroll:
            backend.enroll(kid, key)
    except (OSError, ValueError) as err:
        print(f"kioskd-backend: {err}", file=sys.stderr)
        return 78

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        url = await backend.start(*args.listen)
        print(f"listening on {url}", flush=True)
        await stop.wait()
        await backend.stop()

    try:
        asyncio.run(serve())
    finally:
        backend.close()
    return 0


def _report(args: argparse.Namespace) -> int:
    if isinstance(args.db, Path) and not args.db.exists():
        print(f"kioskd-backend: {args.db} does not exist", file=sys.stderr)
        return 1
    try:
        store = open_store(args.db)
    except OSError as err:
        print(f"kioskd-backend: {err}", file=sys.stderr)
        return 1
    try:
        data = store.report()
    finally:
        store.close()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print("payments:")
    for p in data["payments"]:
        outcome = p["ref"] if p["status"] == 200 else f"HTTP {p['status']} {p['reason'] or ''}"
        print(f"  {p['received']}  {p['kiosk']}  {p['txn']}  {p['account']}  {p['amount']:>9} fen  {outcome}")
    print("credited per kiosk and day (UTC):")
    for t in data["totals"]:
        print(f"  {t['kiosk']}  {t['day']}  {t['payments']:>5} payments  {t['amount']:>11} fen")
    print("alerts:")
    for a in data["alerts"]:
        print(f"  {a['at']}  {a['kiosk']}  {a['code']}  {a['severity']}  {a['state']}")
    print("witnessed audit heads:")
    for h in data["audit_heads"]:
        print(f"  {h['kiosk']}  batch {h['batch_seq']}  audit seq {h['audit_seq']}  {h['audit_hash']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the kioskd-backend console script."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
