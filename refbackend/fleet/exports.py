"""Reconciliation exports and the cash-collection list as CSV (columns in docs/spec/fleet.md)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from typing import Any

from backend_api.fields import format_utc
from refbackend.fleet.cases import case_books
from refbackend.fleet.config import FleetConfig
from refbackend.fleet.custody import custody_sessions, with_credited
from refbackend.fleet.forecast import DAY, day_bounds_utc, forecast, local_day
from refbackend.store import BackendStore

PAYMENT_COLUMNS = ("day", "hall", "kiosk", "seq", "txn", "account", "amount", "currency", "notes", "started",
                   "ended", "received", "outcome", "ref", "reason")
CUSTODY_COLUMNS = ("day", "hall", "kiosk", "session", "opened", "ended", "outcome", "box_id", "since", "expected",
                   "counted", "credited", "refused", "other", "difference", "counterfeit", "handover")
COLLECTION_COLUMNS = ("day", "hall", "kiosk", "reason", "notes", "amount", "capacity", "fill", "forecast_fill",
                      "full_on")


def to_csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    """CSV text with a header row; None is an empty field."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: ("" if r.get(k) is None else r[k]) for k in columns} for r in rows)
    return out.getvalue()


def payment_rows(store: BackendStore, config: FleetConfig, day: date, hall: str | None = None) -> list[dict[str, Any]]:
    """One row per payment that ended on the local `day`, by hall, kiosk and seq."""
    start, end = (format_utc(t) for t in day_bounds_utc(day, config.zone))
    rows = []
    for p in store.payments_ended(start, end, hall):
        payload, answer = p["payload"], p["answer"]
        rows.append({
            "day": day.isoformat(), "hall": p["hall"], "kiosk": p["kiosk"], "seq": payload["seq"], "txn": p["txn"],
            "account": payload["account"], "amount": payload["amount"], "currency": payload["currency"],
            "notes": len(payload["notes"]), "started": payload["started"], "ended": payload["ended"],
            "received": p["received"], "outcome": "credited" if p["credited"] else "refused",
            "ref": answer.get("ref"), "reason": answer.get("reason"),
        })
    return sorted(rows, key=lambda r: (r["hall"], r["kiosk"], r["seq"]))


def custody_rows(store: BackendStore, config: FleetConfig, day: date, hall: str | None = None) -> list[dict[str, Any]]:
    """One row per custody session that ended on the local `day`: counted against credited."""
    start, end = (format_utc(t) for t in day_bounds_utc(day, config.zone))
    halls = {k["kid"]: k["hall"] for k in store.kiosks(hall)}
    rows, books = [], case_books(store)
    for s in custody_sessions(store, ended=(start, end)):
        if s["kiosk"] in halls:
            rows.append({"day": day.isoformat(), "hall": halls[s["kiosk"]], **with_credited(s, books)})
    return sorted(rows, key=lambda r: (r["hall"], r["kiosk"], r["ended"]))


def collection_rows(store: BackendStore, config: FleetConfig, now: datetime, day: date | None = None,
                    hall: str | None = None) -> list[dict[str, Any]]:
    """The kiosks to empty on `day` (default tomorrow): daily-empty halls, and forecast fill >= collect_at."""
    today = local_day(now, config.zone)
    day = day or today + timedelta(days=1)
    days_ahead = max(0.0, (day_bounds_utc(day, config.zone)[1] - now).total_seconds() / DAY)
    rows = []
    for row in store.fleet_rows(hall)["kiosks"]:
        if not row["enabled"] or not row["report"]:
            continue
        box = json.loads(row["report"])["box"]
        f = forecast(box, now, config.rate_days)
        at_end = f.fill_after(days_ahead)
        if row["hall"] in config.empty_daily and box["notes"] > 0:
            reason = "daily"
        elif at_end is not None and at_end >= config.collect_at:
            reason = "forecast"
        else:
            continue
        full_on = f.full_on(today)
        rows.append({"day": day.isoformat(), "hall": row["hall"], "kiosk": row["kid"], "reason": reason,
                     "notes": box["notes"], "amount": box["amount"], "capacity": box["capacity"],
                     "fill": None if f.fill is None else f"{f.fill:.2f}",
                     "forecast_fill": None if at_end is None else f"{at_end:.2f}",
                     "full_on": None if full_on is None else full_on.isoformat()})
    return rows
