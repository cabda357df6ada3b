"""The handover record (交接记录) both technicians sign at the end of a count, and the differences it shows.

The record is a plain JSON object; its digest (SHA-256 of the canonical JSON, see
kioskd.ledger.reconciliation.record_digest) is printed on it, kept in the audit chain and sent
to the backend in the batch, so the paper both sign and the kiosk's record can be matched.
"""

from __future__ import annotations

from typing import Any

from kioskd.custody.count import counted_notes, counterfeit_notes
from kioskd.custody.statement import Statement, reconcile, totals, yuan
from kioskd.custody.steps import Session
from kioskd.system.clock import local_text


def handover_record(session: str, statement: Statement, rows: list[dict[str, Any]],
                    counterfeits: list[dict[str, Any]], counted_at: str) -> dict[str, Any]:
    """The record of a reconciled count: kiosk, box, period, per denomination, counterfeits, totals, both technicians."""
    return {
        "type": "handover", "version": 1, "kiosk": statement.kiosk, "session": session, "box_id": statement.box_id,
        "since": statement.since, "until": statement.until, "counted_at": counted_at, "payments": statement.payments,
        "rows": rows, "counterfeits": counterfeits, "totals": totals(rows),
        "tech1": {"id": statement.tech1[0], "name": statement.tech1[1]},
        "tech2": {"id": statement.tech2[0], "name": statement.tech2[1]},
    }


def reconciled(s: Session, counted_at: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any],
                                                     dict[str, Any]]:
    """A confirmed count: its rows per denomination, counterfeits, audit entry and handover record."""
    assert s.statement is not None and s.tech1 is not None and s.tech2 is not None
    fakes = counterfeit_notes(s.lines, s.entered)
    by_value: dict[int, int] = {}
    for note in fakes:
        by_value[note["value"]] = by_value.get(note["value"], 0) + 1
    rows = reconcile(s.expected, counted_notes(s.lines, s.entered), by_value)
    count = {"session": s.id, "box_id": s.statement.box_id, "rows": rows, "counterfeit": len(fakes),
             "counterfeits": fakes, "totals": totals(rows), "entered": dict(s.entered),
             "confirmed_by": [s.tech1[0], s.tech2[0]]}
    return rows, fakes, count, handover_record(s.id, s.statement, rows, fakes, counted_at)


def differences_of(rows: list[dict[str, Any]], counterfeits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One difference per note: over and short per denomination, and each counterfeit (by its index)."""
    found: list[dict[str, Any]] = []
    for row in rows:
        kind = "over" if row["diff"] > 0 else "short"
        found += [{"kind": kind, "value": row["value"]} for _ in range(abs(row["diff"]))]
    found += [{"kind": "counterfeit", "value": note["value"], "counterfeit": i} for i, note in enumerate(counterfeits)]
    return found


_LABELS: dict[str, dict[str, Any]] = {
    "zh-CN": {"title": "钱箱交接记录", "kiosk": "终端号", "box": "钱箱号", "session": "清机编号", "period": "期间",
              "time": "清点时间", "cols": "面额 应有/清点/假币 差额", "counterfeits": "假币（面额 冠字号）",
              "none": "无", "expected": "应有金额", "counted": "清点金额（真币）", "counterfeit": "假币金额",
              "over": "长款", "short": "短款", "difference": "差额", "tech1": "技术员一", "tech2": "技术员二",
              "sign": "签字", "digest": "记录摘要", "payments": "缴费笔数",
              "verdict": {"match": "相符", "over": "多", "short": "少"}},
    "en": {"title": "Cash-box handover record", "kiosk": "Kiosk", "box": "Box", "session": "Session",
           "period": "Period", "time": "Counted at", "cols": "Note exp/genuine/fake diff",
           "counterfeits": "Counterfeits (value, serial)", "none": "none", "expected": "Expected",
           "counted": "Counted (genuine)", "counterfeit": "Counterfeit", "over": "Over", "short": "Short",
           "difference": "Difference", "tech1": "Technician 1", "tech2": "Technician 2", "sign": "Signature",
           "digest": "Record digest", "payments": "Payments",
           "verdict": {"match": "ok", "over": "over", "short": "short"}},
}


def local(text: str | None, tz: str) -> str:
    """An RFC 3339 UTC time as the kiosk's local 'YYYY-MM-DD HH:MM' ('-' when none)."""
    return local_text(text, tz)


def handover_lines(record: dict[str, Any], digest: str, locale: str = "zh-CN", tz: str = "UTC") -> list[str]:
    """The handover record as printed, in zh-CN or en, with signature lines and its digest."""
    t = _LABELS[locale]
    lines = [t["title"], f"{t['kiosk']}: {record['kiosk']}", f"{t['box']}: {record['box_id']}",
             f"{t['session']}: {record['session'][:8]}",
             f"{t['period']}: {local(record['since'], tz)} .. {local(record['until'], tz)}",
             f"{t['time']}: {local(record['counted_at'], tz)} ({tz})", f"{t['payments']}: {record['payments']}",
             "-" * 32, t["cols"]]
    for r in record["rows"]:
        if r["expected"] or r["counted"] or r["counterfeit"]:
            verdict = t["verdict"][r["verdict"]] + (f" {abs(r['diff'])}" if r["diff"] else "")
            lines.append(f"{yuan(r['value'])} {r['expected']}/{r['counted']}/{r['counterfeit']} {verdict}")
    lines += ["-" * 32, t["counterfeits"] + ":"]
    lines += [f"  {yuan(n['value'])} {n['serial']}" for n in record["counterfeits"]] or [f"  {t['none']}"]
    s = record["totals"]
    lines += ["-" * 32] + [f"{t[k]}: {yuan(s[k])}" for k in ("expected", "counted", "counterfeit", "over", "short",
                                                               "difference")]
    for n in (1, 2):
        tech = record[f"tech{n}"]
        lines += ["", f"{t[f'tech{n}']}: {tech['id']} {tech['name']}", f"{t['sign']}: ______________"]
    lines += ["", f"{t['digest']}:", digest[:32], digest[32:]]
    return lines
