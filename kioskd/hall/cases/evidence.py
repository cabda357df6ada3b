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
from kioskd.hall.cases.words import WORDS, found_word, step_words, word
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
    # the count that checked a claim came hours later: its entries are found by its session
    words = tuple(w for w in (case["id"], case["txn"], case["count_session"]) if w)
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
        "count": None if case["count_session"] is None else _count(audit, case["count_session"]),
    }


def _count(audit: list[dict[str, Any]], session: str) -> dict[str, Any] | None:
    """The cash-box count of a session as its custody_count entry recorded it."""
    for entry in audit:
        if entry["kind"] == "custody_count" and entry["data"].get("session") == session:
            d = entry["data"]
            return {"session": session, "box_id": d.get("box_id"), "at": entry["at"],
                    "rows": [{k: r.get(k) for k in ("value", "expected", "counted", "verdict")}
                             for r in d.get("rows") or [] if isinstance(r, dict)]}
    return None


_H: dict[str, dict[str, Any]] = {
    "zh-CN": {"title": "差错单证据", "case": "差错单", "payment": "缴费", "notes": "纸币", "journal": "同时段流水",
              "devices": "设备记录", "receipt": "凭条", "reprints": "补打", "steps": "处理经过", "outcomes": "处理结果",
              "audit": "审计记录", "none": "无", "window": "时段", "answer": "后台答复", "amount": "金额",
              "account": "户号", "opened": "开单", "by": "经办", "contact": "联系电话",
              "contacts": {"kept": "已保存（证据中不含）", "erased": "已删除", "none": "无"},
              "claimed_at": "客户所称投币时间", "expected": "应有", "counted": "实点",
              "case_line": "== 差错单 {no}（{kind}，{status}）", "count_line": "钱箱清点 {session}（钱箱 {box}）：{found}",
              "count_head": "== 钱箱清点 {session}（钱箱 {box}，{at}）"},
    "en": {"title": "Case evidence", "case": "Case", "payment": "Payment", "notes": "Notes",
           "journal": "Payments in the window", "devices": "Device log", "receipt": "Receipt", "reprints": "Reprints",
           "steps": "Steps", "outcomes": "Outcomes", "audit": "Audit entries", "none": "none", "window": "Window",
           "answer": "backend answer", "amount": "amount", "account": "account", "opened": "opened", "by": "by",
           "contact": "phone", "contacts": {"kept": "kept (not in the evidence)", "erased": "erased", "none": "none"},
           "claimed_at": "claimed at", "expected": "expected",
           "counted": "counted", "case_line": "== Case {no} ({kind}, {status})",
           "count_line": "cash-box count {session} (box {box}): {found}",
           "count_head": "== Cash-box count {session} (box {box}, {at})"},
}


def evidence_text(e: dict[str, Any], lang: str = "zh-CN", tz: str = "UTC") -> str:
    """The evidence as plain text (UTF-8), section by section, in the staff's language, times on the kiosk's clock."""
    h, w = _H[lang], WORDS[lang]
    c, p = e["case"], e["payment"]
    zone = ZoneInfo(tz)

    def at(text: str | None) -> str:
        if not text:
            return "-"
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    def money(fen: int) -> str:
        return format_money(fen, "CNY", lang)

    out = [f"{h['title']} — {e['kiosk']} — {h['case']} {c['no']}", f"{h['window']} ({tz}): {at(e['window']['since'])} .. "
           f"{at(e['window']['until'])}", "",
           h["case_line"].format(no=c["no"], kind=word(lang, "kinds", c["kind"]),
                                 status=word(lang, "statuses", c["status"])),
           f"{h['amount']} {money(c['amount'])}  {h['account']} {c['account'] or '-'}  {h['opened']} {at(c['opened'])} "
           f"{h['by']} {c['opened_by']}  {h['contact']} {h['contacts'][c['contact']]}"]
    if c["claimed_at"]:
        out.append(f"{h['claimed_at']} {at(c['claimed_at'])}  " + h["count_line"].format(
            session=c["count_session"] or "-", box=(e.get("count") or {}).get("box_id") or "-",
            found=found_word(lang, c["found"])))
    count = e.get("count")
    if count is not None:
        out += ["", h["count_head"].format(session=count["session"], box=count["box_id"] or "-", at=at(count["at"]))]
        out += [f"  {money(r['value'])}: {h['expected']} {r['expected']} {h['counted']} {r['counted']} "
                f"{word(lang, 'verdicts', r['verdict'])}" for r in count["rows"]]
    if p is not None:
        out += ["", f"== {h['payment']} #{p['seq']} {p['txn']}",
                f"{p['account']} {p['holder']} {money(p['amount'])} {word(lang, 'txn_states', p['state'])} "
                f"{at(p['started'])} .. {at(p['ended'])}",
                f"{h['answer']}: {w['ref']} {p['ref'] or '-'} {w['reason']} {p['reason'] or '-'}", f"{h['notes']}:"]
        out += [f"  {at(n['at'])}  {money(n['value'])}" for n in p["notes"]]
    out += ["", f"== {h['journal']}"] + ([f"  #{t['seq']} {at(t['started'])} {t['account']} {money(t['amount'])} "
                                          f"{word(lang, 'txn_states', t['state'])} "
                                          f"[{', '.join(money(n['value']) for n in t['notes'])}]"
                                          for t in e["journal"]] or [f"  {h['none']}"])
    out += ["", f"== {h['devices']}"] + ([f"  {at(d['at'])}  {d['event']} " + json.dumps(
        {k: v for k, v in d.items() if k not in ('at', 'event')}, ensure_ascii=False) for d in e["devices"]]
        or [f"  {h['none']}"])
    receipt = e["receipts"]
    if receipt.get("lines"):
        out += ["", f"== {h['receipt']}"] + [f"  | {line}" for line in receipt["lines"]]
    out += [f"{h['reprints']}: {len(receipt.get('reprints', []))}"]
    out += ["", f"== {h['steps']}"] + [f"  {at(s['at'])}  {s['by']:<10} {word(lang, 'statuses', s['status'])}  "
                                       + step_words(s, lang, money) for s in e["steps"]]
    out += ["", f"== {h['outcomes']}"] + ([f"  {at(o['at'])}  {word(lang, 'actions', o['kind'])} "
                                           f"{word(lang, 'states', o['state'])} {money(o['amount'])} "
                                           f"{o['account'] or ''} {w['ref']} {o['ref'] or '-'}"
                                           + (f" {h['answer']} " + json.dumps(o["answer"], ensure_ascii=False)
                                              if o["answer"] is not None else "") for o in e["outcomes"]]
                                          or [f"  {h['none']}"])
    # the chain's entries as recorded (their data is the signed record, not translated)
    out += ["", f"== {h['audit']}"] + [f"  #{a['seq']} {at(a['at'])} {a['kind']} "
                                       + json.dumps(a["data"], ensure_ascii=False)[:300] for a in e["audit"]]
    return "\n".join(out) + "\n"
