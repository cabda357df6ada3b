"""A case's evidence in one document: the payment and its notes with times, what the validator
reported around it, the receipt printed and its reprints, the audit entries, the backend's
answers, the case's steps and outcomes. JSON to export, readable text to print or file.

The customer's phone number is left out: evidence leaves the kiosk, the number must not.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from backend_api.fields import format_utc
from kioskd.customer.receipts.layout import format_money, receipt_lines
from kioskd.customer.receipts.printing import receipt_data
from kioskd.ledger.batchlog import jws_payload
from kioskd.ledger.records import utc_now

if TYPE_CHECKING:
    from kioskd.hall.cases.devicelog import DeviceLog
    from kioskd.hall.cases.service import Cases

AROUND_PAYMENT = timedelta(minutes=10)  # before it started and after it ended
AROUND_CLAIM = timedelta(minutes=30)  # either side of the time the customer gives


def _shift(text: str, by: timedelta) -> str:
    return format_utc(datetime.fromisoformat(text.replace("Z", "+00:00")) + by)


async def gather(cases: Cases, no: int, device_log: DeviceLog | None) -> dict[str, Any]:
    """Everything known about case `no`, from the journal, the device log and the audit chain."""
    view = await cases.view(no)
    case, payment = view["case"], view["payment"]
    ledger, config = cases.ledger, cases.config
    if payment is not None:
        since, until = _shift(payment["started"], -AROUND_PAYMENT), _shift(payment["ended"] or utc_now(), AROUND_PAYMENT)
    else:
        since, until = _shift(case["claimed_at"], -AROUND_CLAIM), _shift(case["claimed_at"], AROUND_CLAIM)
    nearby = await ledger.transactions(since=since, until=until, states=("closed", "credited", "pending", "flagged"))
    words = tuple(w for w in (case["id"], case["txn"]) if w)
    receipts: dict[str, Any] = {}
    if case["txn"] is not None:
        record = await ledger.transaction(case["txn"])
        assert record is not None
        receipts = {"lines": receipt_lines(receipt_data(config, record), locale=config.kiosk.locale, tz=config.kiosk.tz),
                    "sent": jws_payload(record.payload) if record.payload else None}
    audit = await ledger.cases.audit_between(since, until, words)
    receipts["reprints"] = [e for e in audit if e["kind"] == "reprint" and e["data"].get("txn") == case["txn"]]
    return {
        "kiosk": config.kiosk.id, "made": utc_now(), "window": {"since": since, "until": until},
        "case": {**case, "phone": None, "contact": "kept" if case["phone"] else
                 ("erased" if case["contact_erased"] else "none")},
        "payment": payment, "steps": view["steps"], "outcomes": view["outcomes"],
        "journal": [{"seq": t.seq, "txn": t.id, "account": t.account, "amount": t.amount, "state": t.state,
                     "started": t.started, "ended": t.ended, "notes": [{"value": n.value, "at": n.at} for n in t.notes]}
                    for t in nearby],
        "tz": config.kiosk.tz,
        "devices": [] if device_log is None else device_log.between(since, until),
        "receipts": receipts, "audit": audit,
    }


_H = {
    "zh-CN": {"title": "差错单证据", "case": "差错单", "payment": "缴费", "notes": "纸币", "journal": "同时段流水",
              "devices": "设备记录", "receipt": "凭条", "reprints": "补打", "steps": "处理经过", "outcomes": "处理结果",
              "audit": "审计记录", "none": "无", "window": "时段", "answer": "后台答复"},
    "en": {"title": "Case evidence", "case": "Case", "payment": "Payment", "notes": "Notes",
           "journal": "Payments in the window", "devices": "Device log", "receipt": "Receipt", "reprints": "Reprints",
           "steps": "Steps", "outcomes": "Outcomes", "audit": "Audit entries", "none": "none", "window": "Window",
           "answer": "backend answer"},
}


def evidence_text(e: dict[str, Any], lang: str = "zh-CN", tz: str = "UTC") -> str:
    """The evidence as plain text (UTF-8), section by section, times as the kiosk's clock reads them."""
    h = _H[lang]
    c, p = e["case"], e["payment"]
    zone = ZoneInfo(tz)

    def at(text: str | None) -> str:
        if not text:
            return "-"
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    def money(fen: int) -> str:
        return format_money(fen, "CNY", lang)

    out = [f"{h['title']} — {e['kiosk']} — {h['case']} {c['no']}", f"{h['window']} ({tz}): {at(e['window']['since'])} .. "
           f"{at(e['window']['until'])}", "", f"== {h['case']} {c['no']} ({c['kind']}, {c['status']})",
           f"amount {money(c['amount'])}  account {c['account'] or '-'}  opened {at(c['opened'])} by {c['opened_by']}"
           f"  contact {c['contact']}"]
    if c["claimed_at"]:
        out.append(f"claimed at {at(c['claimed_at'])}; count {c['count_session'] or '-'} found {c['found']}")
    if p is not None:
        out += ["", f"== {h['payment']} #{p['seq']} {p['txn']}",
                f"{p['account']} {p['holder']} {money(p['amount'])} {p['state']} {at(p['started'])} .. {at(p['ended'])}",
                f"{h['answer']}: ref {p['ref'] or '-'} reason {p['reason'] or '-'}", f"{h['notes']}:"]
        out += [f"  {at(n['at'])}  {money(n['value'])}" for n in p["notes"]]
    out += ["", f"== {h['journal']}"] + ([f"  #{t['seq']} {at(t['started'])} {t['account']} {money(t['amount'])} "
                                          f"{t['state']} [{', '.join(money(n['value']) for n in t['notes'])}]"
                                          for t in e["journal"]] or [f"  {h['none']}"])
    out += ["", f"== {h['devices']}"] + ([f"  {at(d['at'])}  {d['event']} " + json.dumps(
        {k: v for k, v in d.items() if k not in ('at', 'event')}, ensure_ascii=False) for d in e["devices"]]
        or [f"  {h['none']}"])
    receipt = e["receipts"]
    if receipt.get("lines"):
        out += ["", f"== {h['receipt']}"] + [f"  | {line}" for line in receipt["lines"]]
    out += [f"{h['reprints']}: {len(receipt.get('reprints', []))}"]
    out += ["", f"== {h['steps']}"] + [f"  {at(s['at'])}  {s['step']:<14} {s['by']:<10} {s['status']:<9} "
                                       + json.dumps(s["data"], ensure_ascii=False) for s in e["steps"]]
    out += ["", f"== {h['outcomes']}"] + ([f"  {at(o['at'])}  {o['kind']} {o['state']} {money(o['amount'])} "
                                           f"{o['account'] or ''} ref {o['ref'] or '-'} {h['answer']} "
                                           + json.dumps(o["answer"], ensure_ascii=False) for o in e["outcomes"]]
                                          or [f"  {h['none']}"])
    out += ["", f"== {h['audit']}"] + [f"  #{a['seq']} {at(a['at'])} {a['kind']} "
                                       + json.dumps(a["data"], ensure_ascii=False)[:300] for a in e["audit"]]
    return "\n".join(out) + "\n"

