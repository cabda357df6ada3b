"""kioskctl case: cases (差错/投诉) from opening to their outcome, the same actions as the staff page."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from kioskd.cli.staff import _run, common_options, reason_words, table, yuan_to_fen
from kioskd.cli.staff import when_local as _when
from kioskd.customer.receipts.money import format_money
from kioskd.hall.cases.words import WORDS, found_word, step_words

_CLI: dict[str, dict[str, Any]] = {
    "zh-CN": {"case": "差错单", "payment": "缴费", "claim": "客户申诉：纸币未计入", "status": "状态", "may": "可执行",
              "steps": "经过", "outcomes": "处理结果", "none": "无", "no_cases": "无差错单", "opened": "开单",
              "contact": "联系电话", "erased": "已删除", "count": "钱箱清点", "holder": "户名",
              "printed": "退款凭证已打印", "not_printed": "退款凭证未打印：请用 kioskctl case voucher 补打",
              "written": "证据已写入", "why": "本笔来由"},
    "en": {"case": "case", "payment": "payment", "claim": "claim: note not counted", "status": "status",
           "may": "may", "steps": "steps", "outcomes": "outcomes", "none": "none", "no_cases": "no cases",
           "opened": "opened", "contact": "phone", "erased": "erased", "count": "cash-box count", "holder": "holder",
           "printed": "refund voucher printed",
           "not_printed": "refund voucher NOT printed: reprint it with kioskctl case voucher", "written": "written",
           "why": "why this payment exists"},
}
_L = {lang: {**WORDS[lang], **words} for lang, words in _CLI.items()}


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `kioskctl case ...`."""
    common = common_options()
    case = subparsers.add_parser("case", help="cases (差错/投诉): open, follow, settle a payment that went wrong")
    actions = case.add_subparsers(dest="case_command", required=True)

    def leaf(name: str, help_text: str, build: Any, show: Any = None, *, no: bool = True) -> argparse.ArgumentParser:
        p = actions.add_parser(name, parents=[common], help=help_text)
        if no:
            p.add_argument("no", type=int, help="case number")
        p.set_defaults(func=_run, build=build, show=show or _show_case)
        return p

    p = leaf("list", "cases, newest first", lambda a: {"cmd": "case_list", "status": a.status}, _show_list, no=False)
    p.add_argument("--status", choices=("open", "waiting", "resolved", "rejected"))
    leaf("show", "one case: what it is about, its steps and outcomes", lambda a: {"cmd": "case_show", "no": a.no})
    p = leaf("open", "open a case on a payment (--txn) or a customer's claim (--claim)", _open_request, no=False)
    p.add_argument("--txn", help="the payment: serial number (seq) or transaction id")
    p.add_argument("--claim", type=yuan_to_fen, help="the note the customer says was not counted, in yuan")
    p.add_argument("--when", help="claim: when the note went in, local 'YYYY-MM-DD HH:MM' (default now)")
    p.add_argument("--account", help="claim: the account the customer was paying")
    p.add_argument("--phone", help="the customer's phone (kept while the case is open, then erased)")
    p.add_argument("--note", help="what the customer says")
    p = leaf("note", "add a note: what was said, what was agreed",
             lambda a: {"cmd": "case_note", "no": a.no, "text": a.text})
    p.add_argument("text")
    p = leaf("lookup", "the holder of an account (confirm it before a re-credit or void)",
             lambda a: {"cmd": "case_lookup", "account": a.account}, _show_lookup, no=False)
    p.add_argument("account")
    p = leaf("recredit", "credit a flagged or pending payment (or a found note) to the right account",
             lambda a: {"cmd": "case_recredit", "no": a.no, "account": a.account, "holder": a.holder,
                        "reason": a.reason})
    p.add_argument("--account", required=True)
    p.add_argument("--holder", required=True, help="the holder kioskctl case lookup shows, to confirm it")
    p.add_argument("--reason", required=True)
    p = leaf("void", "ask the backend to move a credited payment to the right account",
             lambda a: {"cmd": "case_void", "no": a.no, "to": a.to, "holder": a.holder, "reason": a.reason})
    p.add_argument("--to", required=True, help="the right account")
    p.add_argument("--holder", required=True, help="its holder, as kioskctl case lookup shows it")
    p.add_argument("--reason", required=True)
    p = leaf("refund", "pay the cash back at the counter; a manager (another person) approves", _refund_request)
    p.add_argument("--amount", type=yuan_to_fen, required=True, help="yuan: the whole amount of the case")
    p.add_argument("--reason", required=True)
    p.add_argument("--approver", required=True, metavar="ID", help="the approving manager's staff id")
    p.add_argument("--approver-secret-stdin", action="store_true",
                   help="read the approver's PIN from stdin (the first line; with --secret-stdin yours follows)")
    p.add_argument("--voucher-lang", choices=("zh-CN", "en"), help="language of the voucher (default the kiosk's)")
    p = leaf("writeoff", "write the cash off (a manager)", lambda a: {"cmd": "case_writeoff", "no": a.no,
                                                                       "reason": a.reason})
    p.add_argument("--reason", required=True)
    p = leaf("close", "close without a money outcome (the cash is credited), or --reject a claim",
             lambda a: {"cmd": "case_close", "no": a.no, "reason": a.reason, "reject": a.reject})
    p.add_argument("--reason", required=True)
    p.add_argument("--reject", action="store_true")
    p = leaf("voucher", "print the refund voucher again (a copy)",
             lambda a: {"cmd": "case_voucher", "no": a.no, "lang": a.voucher_lang}, _show_voucher)
    p.add_argument("--voucher-lang", choices=("zh-CN", "en"))
    p = leaf("doubt", "settle an in-doubt note (kioskctl txn show lists them): stacked opens a claim case "
             "to re-credit, not_in_box credits nothing (a manager)",
             lambda a: {"cmd": "doubt_settle", "doubt": a.doubt, "as": a.settle_as, "reason": a.reason},
             _show_doubt, no=False)
    p.add_argument("doubt", type=int, help="the in-doubt note's number")
    p.add_argument("settle_as", metavar="stacked|not_in_box", choices=("stacked", "not_in_box"),
                   help="in the box (the cash is then credited through a claim case), or not in it")
    p.add_argument("--reason", required=True)
    p = leaf("evidence", "everything about a case: payment, notes, device log, receipts, audit, answers",
             lambda a: {"cmd": "case_evidence", "no": a.no, "lang": a.lang}, _show_evidence)
    p.add_argument("--out", type=Path, help="write the readable text (or the JSON with --json) to this file")
    p.set_defaults(func=_run_evidence)


def _show_doubt(r: dict[str, Any], lang: str) -> None:
    d = r["doubt"]
    if d["state"] == "stacked":
        print(f"去向不明纸币 {d['id']} 已确认入箱：差错单 {r['case']} 待入账（kioskctl case recredit {r['case']} ...）"
              if lang == "zh-CN" else f"in-doubt note {d['id']} settled as in the box: case {r['case']} to re-credit "
              f"(kioskctl case recredit {r['case']} ...)")
    else:
        print(f"去向不明纸币 {d['id']} 已确认不在钱箱" if lang == "zh-CN"
              else f"in-doubt note {d['id']} settled as not in the box")


def _open_request(a: argparse.Namespace) -> dict[str, Any]:
    if (a.txn is None) == (a.claim is None):
        raise SystemExit("kioskctl: 登记差错须指定 --txn 流水号（缴费）或 --claim 金额（客户称未计入的纸币，元）"
                         if a.lang == "zh-CN" else
                         "kioskctl: case open needs --txn SEQ (a payment) or --claim YUAN (a note not counted)")
    return {"cmd": "case_open", "ref": a.txn, "claim": a.claim, "when": a.when, "account": a.account,
            "phone": a.phone, "note": a.note}


def _refund_request(a: argparse.Namespace) -> dict[str, Any]:
    # read before the caller's own secret (kioskd.cli.staff._run reads that one after this)
    secret = (sys.stdin.readline().rstrip("\r\n") if a.approver_secret_stdin else
              getpass.getpass(f"审批经理 {a.approver} 的密码（PIN），用于批准退款: " if a.lang == "zh-CN"
                              else f"manager {a.approver}, PIN or password to approve the refund: "))
    return {"cmd": "case_refund", "no": a.no, "amount": a.amount, "reason": a.reason, "approver": a.approver,
            "approver_secret": secret, "lang": a.voucher_lang}


def _show_list(r: dict[str, Any], lang: str) -> None:
    t, tz = _L[lang], r.get("tz", "UTC")
    if not r["cases"]:
        print(t["no_cases"])
        return
    rows = [[str(c["no"]), t["payment"] if c["kind"] == "payment" else t["claim"][:6],
             format_money(c["amount"], "CNY", lang), t["statuses"][c["status"]], _when(c["opened"], tz),
             c["opened_by"]] for c in r["cases"]]
    print(table(["#", "", "", t["status"], t["opened"], ""], rows))


def _show_case(r: dict[str, Any], lang: str) -> None:
    t, c, tz = _L[lang], r["case"], r.get("tz", "UTC")
    money = lambda fen: format_money(fen, "CNY", lang)  # noqa: E731
    print(f"{t['case']} {c['no']}  {t['status']}: {t['statuses'][c['status']]}")
    p = r["payment"]
    if p is not None:
        print(f"{t['payment']} #{p['seq']}  {p['account']} {p['holder']}  {money(p['amount'])}  "
              f"{t['txn_states'].get(p['state'], p['state'])}"
              + (f" ({reason_words(p, lang)})" if p["reason"] else "") + (f" {t['ref']} {p['ref']}" if p["ref"] else ""))
        if p.get("opened_reason"):
            print(f"  {t['why']}: {p['opened_zh' if lang == 'zh-CN' else 'opened_en']}")
    else:
        found = found_word(lang, c["found"])
        print(f"{t['claim']} {money(c['amount'])} @ {_when(c['claimed_at'], tz)}  {c['account'] or ''}  "
              f"{t['count']}: {found}")
    phone = c["phone"] or (t["erased"] if c["contact_erased"] else t["none"])
    print(f"{t['opened']}: {_when(c['opened'], tz)} {c['opened_by']}  {t['contact']}: {phone}")
    print(f"{t['may']}: " + ", ".join(t["actions"][a] for a in r["may"]))
    print(f"{t['steps']}:")
    for s in r["steps"]:
        print(f"  {_when(s['at'], tz)}  {s['by']:<8} {t['statuses'][s['status']]:<6} " + step_words(s, lang, money))
    print(f"{t['outcomes']}: " + ("" if r["outcomes"] else t["none"]))
    for o in r["outcomes"]:
        target = f" -> {o['account']} {o['holder'] or ''}" if o["account"] else ""
        print(f"  {t['actions'][o['kind']]} {t['states'][o['state']]} {money(o['amount'])}{target}"
              + (f" {t['ref']} {o['ref']}" if o["ref"] else ""))
    if "voucher_printed" in r:
        print(t["printed"] if r["voucher_printed"] else t["not_printed"])


def _show_lookup(r: dict[str, Any], lang: str) -> None:
    print(f"{r['account']}  {_L[lang]['holder']}: {r['holder']}")


def _show_voucher(r: dict[str, Any], lang: str) -> None:
    print(_L[lang]["printed"])


def _show_evidence(r: dict[str, Any], lang: str) -> None:
    print(r["text"], end="")


def _run_evidence(args: argparse.Namespace) -> int:
    """`case evidence`: printed, or written to --out (the readable text, or the JSON with --json)."""
    if args.out is None:
        return _run(args)
    as_json, args.json = args.json, False

    def write(r: dict[str, Any], lang: str) -> None:
        body = json.dumps(r["evidence"], ensure_ascii=False, indent=2) + "\n" if as_json else r["text"]
        args.out.write_text(body, encoding="utf-8")
        print(f"{_L[lang]['written']}: {args.out}")

    args.show = write
    return _run(args)
