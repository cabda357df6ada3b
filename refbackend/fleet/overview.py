"""The operator's view as data: kiosks, halls of the day and the fleet's alerts (docs/spec/fleet.md)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from backend_api.fields import format_utc
from refbackend.fleet.cases import Case, case_books, day_balances
from refbackend.fleet.config import FleetConfig
from refbackend.fleet.custody import custody_sessions, with_credited
from refbackend.fleet.forecast import day_bounds_utc, forecast, local_day
from refbackend.store import BackendStore

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def fleet_view(store: BackendStore, config: FleetConfig, now: datetime, hall: str | None = None) -> dict[str, Any]:
    """Everything the operator's page shows, for the local day of `now`."""
    day = local_day(now, config.zone)
    rows = store.fleet_rows(hall)
    books = case_books(store)
    shown = {row["kid"] for row in rows["kiosks"]}
    # each kiosk's last session and the day's, not every session ever: the view's cost stays with the fleet's size
    start, end = (format_utc(t) for t in day_bounds_utc(day, config.zone))
    day_range = (start, end)
    needed = {(s["kiosk"], s["session"]): s for s in [*custody_sessions(store, last_only=True),
                                                      *custody_sessions(store, ended=day_range)]
              if s["kiosk"] in shown}
    sessions = sorted((with_credited(s, books) for s in needed.values()), key=lambda s: (s["ended"], s["kiosk"]))
    last_session = {s["kiosk"]: s for s in sessions}  # sessions are oldest first
    kiosk_alerts = defaultdict(list)
    for a in rows["alerts"]:
        kiosk_alerts[a["kiosk"]].append(a)
    kiosks, fleet_alerts = [], []
    for row in rows["kiosks"]:
        kiosk = _kiosk(row, config, now, last_session.get(row["kid"]), kiosk_alerts[row["kid"]])
        kiosks.append(kiosk)
        fleet_alerts += _own_alerts(kiosk, config)
    for a in rows["alerts"]:
        fleet_alerts.append({"kiosk": a["kiosk"], "hall": a["hall"], "code": a["code"], "severity": a["severity"],
                             "since": a["at"], "source": "kiosk", "acknowledged": bool(a["acknowledged"]),
                             "detail": json.loads(a["detail"])})
    fleet_alerts.sort(key=lambda a: (SEVERITY_RANK.get(a["severity"], 3), a["since"] or "", a["kiosk"]))
    return {"now": format_utc(now), "day": day.isoformat(), "timezone": config.timezone,
            "silent_after": config.silent_after, "alerts": fleet_alerts,
            "halls": hall_days(store, config, day, kiosks, sessions, books, hall), "kiosks": kiosks}


def _kiosk(row: dict[str, Any], config: FleetConfig, now: datetime, session: dict[str, Any] | None,
           alerts: list[dict[str, Any]]) -> dict[str, Any]:
    report = json.loads(row["report"]) if row["report"] else None
    contact = row["last_contact"] or row["enrolled"]
    silent_for = (now - datetime.fromisoformat(contact)).total_seconds() if contact else None
    box = None
    if report is not None:
        f = forecast(report["box"], now, config.rate_days)
        full_on = f.full_on(local_day(now, config.zone))
        box = {**{k: report["box"][k] for k in ("notes", "amount", "capacity", "since")},
               "fill": None if f.fill is None else round(f.fill, 3),
               "per_day": None if f.per_day is None else round(f.per_day, 1),
               "full_on": None if full_on is None else full_on.isoformat()}
    return {
        "kiosk": row["kid"], "hall": row["hall"], "enabled": bool(row["enabled"]),
        "state": report["state"] if report else None, "paper": report["paper"] if report else None,
        "box": box, "pending": report["pending"] if report else None, "flagged": report["flagged"] if report else None,
        "outbox": report["outbox"] if report else None, "status_at": row["received"],
        "last_contact": row["last_contact"], "enrolled": row["enrolled"], "silent": bool(row["enabled"]) and silent_for is not None
        and silent_for > config.silent_after, "silent_for": None if silent_for is None else int(silent_for),
        "alerts": sorted(a["code"] for a in alerts),
        "custody": None if session is None else {k: session[k] for k in ("session", "ended", "outcome", "counted",
                                                                            "credited", "difference")},
    }


def _own_alerts(kiosk: dict[str, Any], config: FleetConfig) -> list[dict[str, Any]]:
    """The backend's alerts about a kiosk: silent, box_near_full."""
    out = []
    base = {"kiosk": kiosk["kiosk"], "hall": kiosk["hall"], "source": "fleet", "acknowledged": False}
    if kiosk["silent"]:
        out.append({**base, "code": "silent", "severity": "critical", "since": kiosk["last_contact"] or kiosk["enrolled"],
                    "detail": {"seconds": kiosk["silent_for"]}})
    box = kiosk["box"]
    if kiosk["enabled"] and box and box["fill"] is not None and box["fill"] >= config.box_alert_at:
        out.append({**base, "code": "box_near_full", "severity": "warning", "since": kiosk["status_at"],
                    "detail": {"notes": box["notes"], "capacity": box["capacity"], "full_on": box["full_on"]}})
    return out


def hall_days(store: BackendStore, config: FleetConfig, day: Any, kiosks: list[dict[str, Any]],
              sessions: list[dict[str, Any]], books: dict[str, dict[str, Case]],
              hall: str | None = None) -> list[dict[str, Any]]:
    """Per hall, the local day's takings, payments, refusals, differences, cases, outcomes and balance."""
    start, end = (format_utc(t) for t in day_bounds_utc(day, config.zone))
    halls: dict[str, dict[str, Any]] = {}

    def of(name: str) -> dict[str, Any]:
        return halls.setdefault(name, {"hall": name, "kiosks": 0, "takings": 0, "payments": 0, "refused": 0,
                                       "refused_amount": 0, "flagged": 0, "sessions": 0, "differences": 0,
                                       "mismatches": 0, "cases": 0, "cases_open": 0,
                                       **{k: {"count": 0, "total": 0} for k in ("recredits", "refunds", "writeoffs")},
                                       "balanced": True, "unbalanced": []})

    hall_of = {}
    for k in kiosks:
        h = of(k["hall"])
        h["kiosks"] += 1
        h["flagged"] += (k["flagged"] or {}).get("count", 0)
        hall_of[k["kiosk"]] = k["hall"]
    for p in store.payments_ended(start, end, hall):
        h = of(p["hall"])
        if p["credited"]:
            h["takings"] += p["payload"]["amount"]
            h["payments"] += 1
        else:
            h["refused"] += 1
            h["refused_amount"] += p["payload"]["amount"]
    for s in sessions:
        if s["kiosk"] in hall_of and start <= s["ended"] < end:
            h = of(hall_of[s["kiosk"]])
            h["sessions"] += 1
            h["differences"] += s["difference"] or 0
            h["mismatches"] += s["outcome"] == "mismatch"
    _case_figures(halls, hall_of, books, start, end)
    for kiosk, balance in day_balances(store, start, end, books).items():
        if kiosk in hall_of and not balance["balanced"]:
            h = halls[hall_of[kiosk]]
            h["balanced"] = False
            h["unbalanced"].append(kiosk)
    return sorted(halls.values(), key=lambda h: h["hall"])


def _case_figures(halls: dict[str, dict[str, Any]], hall_of: dict[str, str], books: dict[str, dict[str, Case]],
                  start: str, end: str) -> None:
    """Cases opened that day and still open, and the day's re-credits, refunds and write-offs, per hall."""
    names = {"recredit": "recredits", "refund": "refunds", "writeoff": "writeoffs"}
    for kiosk, book in books.items():
        if kiosk not in hall_of:
            continue
        h = halls[hall_of[kiosk]]
        for case in book.values():
            h["cases"] += start <= (case.opened or "") < end
            h["cases_open"] += case.status in ("open", "waiting")
            for o in case.final():
                if o["kind"] in names and start <= o["at"] < end:
                    h[names[o["kind"]]]["count"] += 1
                    h[names[o["kind"]]]["total"] += o["amount"]
