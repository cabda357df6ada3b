"""`kioskd-backend report`, `export payments|custody`, `collection` and `closes`: what the store holds."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from refbackend.fleet.closes import close_checks
from refbackend.fleet.config import load_fleet_config
from refbackend.fleet.exports import (
    COLLECTION_COLUMNS,
    CUSTODY_COLUMNS,
    PAYMENT_COLUMNS,
    collection_rows,
    custody_rows,
    payment_rows,
    to_csv,
)
from refbackend.receipt.render import yuan
from refbackend.store import BackendStore


def export_command(store: BackendStore, args: argparse.Namespace) -> int:
    """CSV of one local day's payments or custody sessions (per hall with --hall)."""
    config = load_fleet_config(args.config)
    rows_of, columns = (payment_rows, PAYMENT_COLUMNS) if args.what == "payments" else (custody_rows, CUSTODY_COLUMNS)
    print(to_csv(columns, rows_of(store, config, args.day, args.hall)), end="")
    return 0


def collection_command(store: BackendStore, args: argparse.Namespace) -> int:
    """CSV of the kiosks to empty on a day (default tomorrow)."""
    config = load_fleet_config(args.config)
    print(to_csv(COLLECTION_COLUMNS, collection_rows(store, config, datetime.now(UTC), args.day, args.hall)), end="")
    return 0


def report_command(store: BackendStore, args: argparse.Namespace) -> int:
    """Payments, credited per kiosk and local day ([fleet] timezone), alerts and witnessed audit heads."""
    config = load_fleet_config(args.config)
    data = store.report(config.zone)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print("payments:")
    for p in data["payments"]:
        outcome = p["ref"] if p["status"] == 200 else f"HTTP {p['status']} {p['reason'] or ''}"
        print(f"  {p['received']}  {p['kiosk']}  {p['txn']}  {p['account']}  {p['amount']:>9} fen  {outcome}")
    print(f"credited per kiosk and day ({config.timezone}, the day each payment ended):")
    for t in data["totals"]:
        print(f"  {t['kiosk']}  {t['day']}  {t['payments']:>5} payments  {t['amount']:>11} fen")
    print("alerts:")
    for a in data["alerts"]:
        print(f"  {a['at']}  {a['kiosk']}  {a['code']}  {a['severity']}  {a['state']}")
    print("witnessed audit heads:")
    for h in data["audit_heads"]:
        print(f"  {h['kiosk']}  batch {h['batch_seq']}  audit seq {h['audit_seq']}  {h['audit_hash']}")
    return 0


def closes_command(store: BackendStore, args: argparse.Namespace) -> int:
    """Each daily close against the kiosk's count differences; 1 when one disagrees."""
    rows = close_checks(store, args.kiosk)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    for r in [] if args.json else rows:
        money = "?" if not isinstance(r["total"], int) else yuan(r["total"])
        print(f"{r['kiosk']}  seq {r['seq']}  {r['date'] or r['type']}  open {r['count']} / {money}  {r['verdict']}")
    return 1 if any(r["verdict"] not in ("ok", "list") for r in rows) else 0
