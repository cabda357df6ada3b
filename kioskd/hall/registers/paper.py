"""The registers on paper (receipt printer width) in zh-CN and en: the vendor claim form, the
monthly claim list, the key register (钥匙交接记录), the patrol log and the work log."""

from __future__ import annotations

from typing import Any

from kioskd.custody.handover import local
from kioskd.custody.statement import yuan
from kioskd.hall.registers.entrywords import entry_words
from kioskd.hall.registers.events import event_name

RULE = "-" * 32
_T: dict[str, dict[str, Any]] = {
    "zh-CN": {
        "claim_title": "设备厂商索赔单", "claims_title": "厂商索赔月度清单", "kiosk": "终端号", "claim": "索赔单号",
        "box": "钱箱号", "session": "清机编号", "created": "日期", "status": "状态", "notes": "张数", "amount": "金额",
        "vendor_ref": "厂商编号", "remark": "备注", "claimant": "申请人", "vendor": "厂商确认", "sign": "签字",
        "month": "月份", "total": "合计", "none": "无", "keys_title": "钱箱钥匙交接记录", "holders": "当前持有人",
        "handovers": "交接", "from": "交出", "to": "接收", "reason": "事由", "issued": "发放",
        "patrol_title": "巡检记录", "worklog_title": "工作日志", "ok": "正常", "problem": "异常",
        "checks": {"screen_ok": "屏幕", "paper_ok": "打印纸", "seal_ok": "防撬"},
        "kinds": {"over": "长款", "short": "短款", "counterfeit": "假币"},
        "key_names": {"terminal": "机门钥匙", "box": "钱箱钥匙"},
        "statuses": {"claimed": "已索赔", "compensated": "已赔付", "rejected": "已拒赔", "bad_debt": "坏账核销"},
        "diff_cols": ["编号", "类型", "面额", "冠字号", "清点时间", "状态", "处理方式", "可能对应"],
        "diff_statuses": {"open": "待处理", "resolved": "已处理"}, "doubt": "去向不明纸币", "case": "差错单",
        "outcomes": {"case": "对应差错单", "receipt": "对应客户凭条", "surplus": "长款入账", "vendor_claim": "向厂商索赔",
                     "loss": "损失核销"},
    },
    "en": {
        "claim_title": "Vendor claim", "claims_title": "Vendor claims of the month", "kiosk": "Kiosk", "claim": "Claim",
        "box": "Box", "session": "Session", "created": "Date", "status": "Status", "notes": "Notes", "amount": "Amount",
        "vendor_ref": "Vendor ref", "remark": "Remark", "claimant": "Claimant", "vendor": "Vendor", "sign": "Signature",
        "month": "Month", "total": "Total", "none": "none", "keys_title": "Key register", "holders": "Held now by",
        "handovers": "Handovers", "from": "from", "to": "to", "reason": "reason", "issued": "issued",
        "patrol_title": "Patrol log", "worklog_title": "Work log", "ok": "ok", "problem": "PROBLEM",
        "checks": {"screen_ok": "screen", "paper_ok": "paper", "seal_ok": "seal"},
        "kinds": {"over": "over", "short": "short", "counterfeit": "counterfeit"},
        "key_names": {"terminal": "terminal key", "box": "cash-box key"},
        "statuses": {"claimed": "claimed", "compensated": "compensated", "rejected": "rejected",
                     "bad_debt": "written off (bad debt)"},
        "diff_cols": ["no", "kind", "value", "serial", "counted", "status", "outcome", "may be"],
        "diff_statuses": {"open": "open", "resolved": "resolved"}, "doubt": "in-doubt note", "case": "case",
        "outcomes": {"case": "a customer's case", "receipt": "a customer's receipt", "surplus": "surplus",
                     "vendor_claim": "claim from the vendor", "loss": "written off as a loss"},
    },
}


def difference_table(differences: list[dict[str, Any]], locale: str = "zh-CN",
                     tz: str = "UTC") -> tuple[list[str], list[list[str]]]:
    """Count differences as a table's headings and rows: kind, status and outcome in words."""
    t = _T[locale]
    rows = []
    for d in differences:
        may_be = [f"{t['doubt']} {d['doubt']}"] * (d.get("doubt") is not None)
        may_be += [f"{t['case']} {c['no']}" for c in d["cases"]]
        rows.append([str(d["id"]), t["kinds"][d["kind"]], yuan(d["value"]), d["serial"] or "", local(d["at"], tz),
                     t["diff_statuses"].get(d["status"], d["status"]), outcome_name(d["outcome"], locale),
                     " ".join(may_be)])
    return t["diff_cols"], rows


def word(key: str, locale: str = "zh-CN") -> str:
    """One of the registers' words ("none", "total", ...) in `locale`."""
    return str(_T[locale][key])


def outcome_name(outcome: str | None, locale: str = "zh-CN") -> str:
    """A difference's outcome in words ("" while it has none)."""
    return _T[locale]["outcomes"].get(outcome, outcome) if outcome else ""


def claim_form_lines(claim: dict[str, Any], kiosk: str, locale: str = "zh-CN", tz: str = "UTC") -> list[str]:
    """A vendor claim as printed: what was lost (each note, serials), the amount, status, signature lines."""
    t = _T[locale]
    lines = [t["claim_title"], f"{t['claim']}: {claim['id']}", f"{t['kiosk']}: {kiosk}", f"{t['box']}: {claim['box_id']}",
             f"{t['session']}: {claim['session'][:8]}", f"{t['created']}: {local(claim['created'], tz)}", RULE]
    for note in claim["differences"]:
        serial = f" {note['serial']}" if note.get("serial") else ""
        lines.append(f"#{note['difference']} {t['kinds'][note['kind']]} {yuan(note['value'])}{serial}")
    lines += [RULE, f"{t['notes']}: {claim['notes']}", f"{t['amount']}: {yuan(claim['amount'])}",
              f"{t['status']}: {t['statuses'][claim['status']]}"]
    if claim.get("vendor_ref"):
        lines.append(f"{t['vendor_ref']}: {claim['vendor_ref']}")
    if claim.get("remark"):
        lines.append(f"{t['remark']}: {claim['remark']}")
    lines += ["", f"{t['claimant']}: {claim['by']}", f"{t['sign']}: ______________", "",
              f"{t['vendor']}:", f"{t['sign']}: ______________"]
    return lines


def claim_list_lines(claims: list[dict[str, Any]], month: str, kiosk: str, locale: str = "zh-CN",
                     tz: str = "UTC") -> list[str]:
    """The month's vendor claims, one line each, with the totals per status."""
    t = _T[locale]
    lines = [t["claims_title"], f"{t['kiosk']}: {kiosk}", f"{t['month']}: {month}", RULE]
    lines += [f"#{c['id']} {local(c['created'], tz)[:10]} {c['notes']} {yuan(c['amount'])} {t['statuses'][c['status']]}"
              for c in claims] or [t["none"]]
    lines.append(RULE)
    for status, name in t["statuses"].items():
        chosen = [c for c in claims if c["status"] == status]
        if chosen:
            lines.append(f"{name}: {len(chosen)} / {yuan(sum(c['amount'] for c in chosen))}")
    lines.append(f"{t['total']}: {len(claims)} / {yuan(sum(c['amount'] for c in claims))}")
    return lines


def key_register_lines(copies: list[dict[str, Any]], handovers: list[dict[str, Any]], month: str, kiosk: str,
                       locale: str = "zh-CN", tz: str = "UTC") -> list[str]:
    """The key register of a month: who holds each key now, and every handover."""
    t = _T[locale]
    lines = [t["keys_title"], f"{t['kiosk']}: {kiosk}", f"{t['month']}: {month}", RULE, t["holders"] + ":"]
    lines += [f"  {c['id']} ({t['key_names'][c['key']]}): {c['holder']} {c['holder_name'] or ''}".rstrip()
              for c in copies] or [f"  {t['none']}"]
    lines += [RULE, t["handovers"] + ":"]
    for h in handovers:
        giver = f"{h['from_id']} {h['from_name'] or ''}".strip() if h["from_id"] else t["issued"]
        lines += [f"{local(h['at'], tz)} {h['copy']}", f"  {t['from']} {giver} {t['to']} {h['to_id']} {h['to_name'] or ''}",
                  f"  {t['reason']}: {h['reason']}"]
    if not handovers:
        lines.append(f"  {t['none']}")
    lines += ["", f"{t['sign']}: ______________"]
    return lines


def patrol_lines(patrols: list[dict[str, Any]], title_when: str, kiosk: str, locale: str = "zh-CN",
                 tz: str = "UTC") -> list[str]:
    """Patrols: who, when, each check, the note, and notes added afterwards (+ when, who: note)."""
    t = _T[locale]
    lines = [t["patrol_title"], f"{t['kiosk']}: {kiosk}", title_when, RULE]
    for p in patrols:
        checks = " ".join(f"{name} {t['ok'] if p[key] else t['problem']}" for key, name in t["checks"].items())
        lines += [f"#{p['id']} {local(p['at'], tz)} {p['by']} {p['by_name']}", f"  {checks}"]
        lines += [f"  {p['note']}"] if p["note"] else []
        lines += [f"  + {local(n['at'], tz)} {who(n)}: {n['note']}" for n in p.get("notes", [])]
    return lines if patrols else [*lines, t["none"]]


def worklog_lines(entries: list[dict[str, Any]], title_when: str, kiosk: str, locale: str = "zh-CN",
                  tz: str = "UTC") -> list[str]:
    """The work log: each audit entry as a line of who did what (in words), when."""
    t = _T[locale]
    lines = [t["worklog_title"], f"{t['kiosk']}: {kiosk}", title_when, RULE]
    for e in entries:
        lines.append(f"#{e['seq']} {local(e['at'], tz)} {event_name(e['kind'], locale)} {who(e['data'])}".rstrip())
        detail = entry_words(e["data"], locale)
        if detail:
            lines.append(f"  {detail}")
    return lines if entries else [*lines, t["none"]]


def who(data: dict[str, Any]) -> str:
    """The person an audit entry names: by (and name), or the technicians."""
    if data.get("by"):
        return f"{data['by']} {data.get('by_name') or ''}".strip()
    techs = [data.get(k) for k in ("tech1", "tech2") if data.get(k)]
    if not techs and isinstance(data.get("confirmed_by"), list):
        techs = data["confirmed_by"]  # a count names the technicians who confirmed it
    return "+".join(str(x) for x in techs) or str(data.get("staff") or "")
