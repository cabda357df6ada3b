"""kioskctl difference/counterfeit/claim/handover/key/patrol, audit list|print and report week|month|export:
the hall's registers, the same actions as the staff page's registers tab."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from kioskd.cli.staff import EXIT_OK, _run, _subactions, answered, common_options, prepared, table
from kioskd.control.client import call
from kioskd.custody.handover import handover_lines, local
from kioskd.hall.export import REGISTER_COLUMNS, register_rows, to_csv
from kioskd.hall.range_report import range_lines
from kioskd.hall.registers.paper import (
    claim_form_lines,
    claim_list_lines,
    difference_table,
    key_register_lines,
    outcome_name,
    patrol_lines,
    word,
    worklog_lines,
)

OUTCOMES = ("case", "receipt", "surplus", "vendor_claim", "loss")
CSV_PAGE = 1000  # differences a request when --csv exports the whole list (docs/spec/registers.md)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register the registers' subcommands."""
    common = common_options()

    def group(name: str, help_text: str) -> argparse._SubParsersAction:
        parser = subparsers.choices.get(name) or subparsers.add_parser(name, help=help_text)
        return _subactions(parser, f"{name}_command")

    def leaf(actions: argparse._SubParsersAction, name: str, help_text: str, build: Any, show: Any,
             register: str | None = None, printable: bool = False) -> argparse.ArgumentParser:
        p = actions.add_parser(name, parents=[common], help=help_text)
        if register:
            p.add_argument("--csv", action="store_true", help="the rows as CSV (columns: docs/spec/registers.md)")
        if printable:
            p.add_argument("--print", action="store_true", help="also print it on the receipt printer")
            p.add_argument("--print-lang", choices=("zh-CN", "en"), help="language of the printout")
        p.set_defaults(func=_run_exported, build=build, show=show, register=register)
        return p

    def printing(a: argparse.Namespace) -> dict[str, Any]:
        return {"print": True, "lang": a.print_lang} if getattr(a, "print", False) else {}

    d = group("difference", "count differences (长短款, 假币): list, explain and settle (a manager approves)")
    p = leaf(d, "list", "differences, open ones by default, oldest first, a page at a time",
             lambda a: {"cmd": "difference_list", "status": a.status, "limit": a.limit, "after": a.after},
             _show_differences, "differences")
    p.add_argument("--status", choices=("open", "resolved", "all"), default="open")
    p.add_argument("--limit", type=int, metavar="N",
                   help="differences a page (1 to 5000, default 100; --csv without it: every one)")
    p.add_argument("--after", type=int, metavar="NO", help="those numbered above NO (the next page)")
    p = leaf(d, "resolve", "explain differences of one count and name the outcome; a manager approves",
             _resolve_request, lambda r, lang: print(_resolved(r, lang)))
    p.add_argument("nos", type=int, nargs="+", metavar="NO")
    p.add_argument("--outcome", required=True, choices=OUTCOMES)
    p.add_argument("--explain", required=True, help="what happened")
    p.add_argument("--ref", help="case: the case number; receipt: the payment's serial number")
    p.add_argument("--approver", required=True, metavar="ID", help="the approving manager's staff id")
    p.add_argument("--approver-secret-stdin", action="store_true",
                   help="read the approver's PIN from stdin (first line; with --secret-stdin yours follows)")

    cf = group("counterfeit", "counterfeit notes found at counts")
    p = leaf(cf, "photo", "record the photo reference of a counterfeit note (once)",
             lambda a: {"cmd": "counterfeit_photo", "no": a.no, "photo": a.photo},
             lambda r, lang: print(f"#{r['counterfeit']['id']} {r['counterfeit']['serial']}: {r['counterfeit']['photo']}"))
    p.add_argument("no", type=int)
    p.add_argument("photo", help="file name or link of the photo")

    c = group("claim", "vendor claims (厂商索赔) for counterfeit and short notes")
    p = leaf(c, "list", "the claims of a month (default this month)",
             lambda a: {"cmd": "claim_list", "month": a.month, "status": a.status, **printing(a)}, _show_claims,
             "claims", printable=True)
    p.add_argument("--month", help="YYYY-MM")
    p.add_argument("--status", choices=("claimed", "compensated", "rejected", "bad_debt"))
    p = leaf(c, "show", "one claim: notes, serials, amount, status (--print: the claim form)",
             lambda a: {"cmd": "claim_show", "no": a.no, **printing(a)}, _show_claim, printable=True)
    p.add_argument("no", type=int)
    p = leaf(c, "settle", "a claim compensated, rejected, or written off as bad debt (a manager)",
             lambda a: {"cmd": "claim_settle", "no": a.no, "status": a.status, "vendor_ref": a.vendor_ref,
                        "remark": a.remark}, _show_claim)
    p.add_argument("no", type=int)
    p.add_argument("--status", required=True, choices=("compensated", "rejected", "bad_debt"))
    p.add_argument("--vendor-ref", help="the vendor's reference")
    p.add_argument("--remark")

    h = group("handover", "custody handover records (交接记录)")
    p = leaf(h, "show", "a session's handover record (default the newest)",
             lambda a: {"cmd": "handover_show", "session": a.session, **printing(a)}, _show_handover, printable=True)
    p.add_argument("session", nargs="?", help="custody session id or its first characters")

    k = group("key", "the key register (钥匙交接): terminal and cash-box keys")
    p = leaf(k, "list", "who holds each key, and the handovers of a month (--print: the monthly register)",
             lambda a: {"cmd": "key_list", "month": a.month, **printing(a)}, _show_keys, "keys", printable=True)
    p.add_argument("--month", help="YYYY-MM")
    p = leaf(k, "hand", "hand a key copy to someone, who confirms with their PIN (a manager issues a new copy)",
             _hand_request, lambda r, lang: print(json.dumps(r["handover"], ensure_ascii=False)))
    p.add_argument("copy", help="the copy, e.g. box-1")
    p.add_argument("--to", required=True, metavar="ID")
    p.add_argument("--key", choices=("terminal", "box"), help="issuing a new copy: its kind")
    p.add_argument("--reason", required=True, help="leave, shift change, ...")
    p.add_argument("--to-secret-stdin", action="store_true", help="read the receiver's PIN from stdin (first line)")

    pt = group("patrol", "the patrol log (巡检)")
    p = leaf(pt, "check", "check in a patrol: what is not fine, and a note",
             lambda a: {"cmd": "patrol_check", "note": a.note or "",
                        **{f"{c}_ok": c not in (a.problem or []) for c in ("screen", "paper", "seal")}},
             lambda r, lang: print(f"{'巡检' if lang == 'zh-CN' else 'patrol'} #{r['patrol']['no']} "
                                   f"{local(r['patrol']['at'], r['tz'])}"))  # stored UTC, read in the kiosk's zone
    p.add_argument("--problem", action="append", choices=("screen", "paper", "seal"),
                   help="a check that is not fine (repeat for more); seal: signs of tampering")
    p.add_argument("--note")
    p = leaf(pt, "note", "add a note to a patrol afterwards (a keypad check-in has none): its own audit entry",
             lambda a: {"cmd": "patrol_note", "no": a.no, "note": a.note},
             lambda r, lang: print(f"{'巡检' if lang == 'zh-CN' else 'patrol'} #{r['note']['patrol']}: {r['note']['note']}"))
    p.add_argument("no", type=int, help="the patrol's number (patrol list --json: id)")
    p.add_argument("--note", required=True)
    p = leaf(pt, "list", "patrols of local days (default today)",
             lambda a: {"cmd": "patrol_list", "since": a.since, "until": a.until, **printing(a)}, _show_patrols,
             "patrols", printable=True)
    p.add_argument("--since")
    p.add_argument("--until")

    au = group("audit", "the tamper-evident audit chain")
    for name, help_text in (("list", "the work log (工作日志): audit entries by day, kind and person"),
                            ("print", "print the work log on the receipt printer")):
        p = leaf(au, name, help_text, _worklog_request(name == "print"), _show_worklog, "worklog")
        p.add_argument("--day", help="YYYY-MM-DD (local); or --since/--until")
        p.add_argument("--since")
        p.add_argument("--until")
        p.add_argument("--kind", help="entry kinds, comma separated (custody_count,key_handover,...)")
        p.add_argument("--person", metavar="ID", help="entries naming this staff id")
        p.add_argument("--print-lang", choices=("zh-CN", "en"))
        p.add_argument("--limit", type=int, help="at most this many entries (1-20000, default 5000)")
        p.add_argument("--after", type=int, metavar="SEQ", help="the entries after entry SEQ (the next page)")

    r = group("report", "reports")
    p = leaf(r, "week", "the week (Monday-Sunday) holding a date (default today)",
             lambda a: {"cmd": "report_period", "period": "week", "date": a.date},
             lambda rep, lang: print("\n".join(range_lines(rep["report"], lang))))
    p.add_argument("date", nargs="?")
    p = leaf(r, "month", "the month holding a date (default today)",
             lambda a: {"cmd": "report_period", "period": "month", "date": a.date},
             lambda rep, lang: print("\n".join(range_lines(rep["report"], lang))))
    p.add_argument("date", nargs="?")
    p = leaf(r, "export", "the reconciliation file (对账文件): one CSV row per payment of local days",
             lambda a: {"cmd": "report_export", "since": a.since, "until": a.until},
             lambda rep, lang: sys.stdout.write(to_csv(rep["columns"], rep["rows"])))
    p.add_argument("since", nargs="?", help="YYYY-MM-DD, first local date (default 6 days before until)")
    p.add_argument("until", nargs="?", help="YYYY-MM-DD, last local date (default today)")


def _run_exported(a: argparse.Namespace) -> int:
    """_run, with the reply's rows written as CSV when --csv was given."""
    name = a.register
    if getattr(a, "csv", False) and name:
        if name == "differences" and a.limit is None and not a.json:
            return _export_all(a)

        def show(reply: dict[str, Any], lang: str) -> None:
            sys.stdout.write(to_csv(REGISTER_COLUMNS[name], register_rows(name, reply)))
            _more(reply, lang)
        a.show = show
    return _run(a)


def _export_all(a: argparse.Namespace) -> int:
    """--csv without --limit: every difference (from --after), CSV_PAGE a request, each page written as it
    comes under one header row: the accountant's whole list, never all of it in memory."""
    target, request = prepared(a)
    request["limit"] = CSV_PAGE
    pages = 0

    def show(reply: dict[str, Any], lang: str) -> None:
        sys.stdout.write(to_csv(REGISTER_COLUMNS["differences"], register_rows("differences", reply), header=not pages))
        sys.stdout.flush()

    a.show = show
    while True:
        reply = answered(a, target, request, call)
        if isinstance(reply, int):
            return reply
        pages += 1
        if reply.get("newer") is None:
            return EXIT_OK
        request["after"] = reply["newer"]


def _second_secret(flag: bool, prompt: str) -> str:
    # read before the caller's own secret (kioskd.cli.staff._run reads that one after this)
    return sys.stdin.readline().rstrip("\r\n") if flag else getpass.getpass(prompt)


def _resolve_request(a: argparse.Namespace) -> dict[str, Any]:
    secret = _second_secret(a.approver_secret_stdin,
                            f"审批经理 {a.approver} 的密码（PIN），用于批准差异处理: " if a.lang == "zh-CN"
                            else f"manager {a.approver}, to approve, PIN or password: ")
    return {"cmd": "difference_resolve", "nos": a.nos, "outcome": a.outcome, "explanation": a.explain,
            "ref": a.ref, "approver": a.approver, "approver_secret": secret}


def _hand_request(a: argparse.Namespace) -> dict[str, Any]:
    secret = _second_secret(a.to_secret_stdin,
                            f"领取人工号 {a.to} 的密码（PIN），确认领取钥匙 {a.copy}: " if a.lang == "zh-CN"
                            else f"staff {a.to}, to receive {a.copy}, PIN or password: ")
    return {"cmd": "key_hand", "copy": a.copy, "to": a.to, "to_secret": secret, "key": a.key, "reason": a.reason}


def _worklog_request(printed: bool) -> Any:
    def build(a: argparse.Namespace) -> dict[str, Any]:
        since, until = (a.day, a.day) if a.day else (a.since, a.until)
        return {"cmd": "worklog", "since": since, "until": until, "kind": a.kind, "person": a.person,
                "limit": a.limit, "after": a.after, **({"print": True, "lang": a.print_lang} if printed else {})}
    return build


def _resolved(r: dict[str, Any], lang: str) -> str:
    claim = f", {'索赔单' if lang == 'zh-CN' else 'claim'} #{r['claim']}" if r.get("claim") else ""
    return f"{' '.join(f'#{n}' for n in r['resolved'])}: {outcome_name(r['outcome'], lang)}{claim}"


def _show_differences(r: dict[str, Any], lang: str) -> None:
    headings, rows = difference_table(r["differences"], lang, r["tz"])
    print(table(headings, rows) if rows else word("none", lang))
    _more(r, lang)


def _show_claims(r: dict[str, Any], lang: str) -> None:
    print("\n".join(claim_list_lines(r["claims"], r["month"], "", lang, r["tz"])[3:]))


def _show_claim(r: dict[str, Any], lang: str) -> None:
    print("\n".join(claim_form_lines(r["claim"], "", lang, r.get("tz", "UTC"))))


def _show_handover(r: dict[str, Any], lang: str) -> None:
    found = r["handover"]
    print("\n".join(handover_lines(found["record"], found["digest"], lang, r["tz"])))


def _show_keys(r: dict[str, Any], lang: str) -> None:
    print("\n".join(key_register_lines(r["copies"], r["handovers"], r["month"], "", lang, r["tz"])[2:]))


def _show_patrols(r: dict[str, Any], lang: str) -> None:
    print("\n".join(patrol_lines(r["patrols"], "", "", lang, r["tz"])[3:]))


def _show_worklog(r: dict[str, Any], lang: str) -> None:
    print("\n".join(worklog_lines(r["entries"], "", "", lang, r["tz"])[3:]))
    _more(r, lang)


def _more(r: dict[str, Any], lang: str) -> None:
    """On stderr (the listing and its CSV stay whole): how to ask for the next page (work log, differences)."""
    if r.get("newer") is not None:
        print(f"{'还有更多条目：' if lang == 'zh-CN' else 'more entries: '}--after {r['newer']}", file=sys.stderr)
