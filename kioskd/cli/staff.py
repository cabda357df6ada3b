"""kioskctl staff commands: status, alerts, txn, receipt reprint, report, sim (via the control socket)."""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
import unicodedata
from typing import Any

from kioskd.cli.usage import Unreadable
from kioskd.cli.where import resolve, unreachable
from kioskd.control.client import ControlError, call
from kioskd.customer.receipts.money import format_money
from kioskd.hall import words
from kioskd.hall.accounts import ROLE_NAMES
from kioskd.hall.alert_titles import TITLES
from kioskd.hall.range_report import range_lines
from kioskd.system.clock import local_text

EXIT_OK, EXIT_REFUSED, EXIT_UNREACHABLE = 0, 1, 3
_YUAN = re.compile(r"(\d{1,9})(?:\.(\d{1,2}))?")

_L = {
    "zh-CN": {"state": "状态", "devices": "设备", "box": "钱箱", "outbox": "待发送", "contact": "最近联系后台",
              "never": "无", "alerts": "告警", "no_alerts": "无告警", "notes": "张", "problems": "故障",
              "id": "编号", "code": "类型", "device": "设备", "severity": "级别", "at": "时间", "title": "说明",
              "seq": "流水号", "account": "户号", "amount": "金额", "started": "开始", "no_txns": "无交易",
              "acked": "已确认告警", "cleared": "已清除告警", "reprinted": "已补打凭条", "dup": "补打次数",
              "custody_started": "钱箱双人监管已开始：请两位技术员依次在键盘上输入工号和密码",
              "inserted": "已放入", "simulate": "模拟", "refused_plain": "被拒绝", "counterfeit": "一张假币", "handed_back": "退回",
              "not_taking": "终端现在不收钞（{state}），只在缴费放钞步骤收钞",
              "uplink": "上传：待后台确认的缴费 {count} 笔（{amount}），待发送批次 {batches}",
              "refused": "后台拒收第 {seq} 批（{since} 起，原因：{reason}），之后的批次都在等待；缴费照常入账。请通知运营方",
              "refused_past": "上次拒收：第 {seq} 批（{since}，原因：{reason}），{cleared} 已被接受"},
    "en": {"state": "state", "devices": "devices", "box": "cash box", "outbox": "outbox", "contact": "last backend contact",
           "never": "never", "alerts": "alerts", "no_alerts": "no alerts", "notes": "notes", "problems": "problems",
           "id": "id", "code": "code", "device": "device", "severity": "severity", "at": "at", "title": "what",
           "seq": "seq", "account": "account", "amount": "amount", "started": "started", "no_txns": "no transactions",
           "acked": "acknowledged alert", "cleared": "cleared alert", "reprinted": "receipt reprinted",
           "dup": "duplicate",
           "custody_started": "custody session started: two technicians log in at the keypad in turn",
           "inserted": "inserted", "simulate": "simulate", "refused_plain": "refused", "counterfeit": "a counterfeit note", "handed_back": "handed back",
           "not_taking": "the kiosk takes no notes now ({state}), only at a payment's cash step",
           "uplink": "uplink: {count} payment(s) awaiting the backend's answer ({amount}), {batches} batch(es) to send",
           "refused": "the backend refuses batch {seq} (since {since}: {reason}); later batches wait behind it, "
                      "payments are still credited: tell the operator",
           "refused_past": "last refusal: batch {seq} ({since}: {reason}), accepted {cleared}"},
}


def common_options() -> argparse.ArgumentParser:
    """The options every control-socket command takes (a parent parser)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print the daemon's JSON reply")
    common.add_argument("--lang", choices=tuple(_L), default="zh-CN", help="language of the output")
    common.add_argument("--as", dest="as_staff", metavar="ID",
                        help="act as this staff account (its PIN or password is asked, or read with "
                             "--secret-stdin); without it you act as the local user")
    common.add_argument("--secret-stdin", action="store_true", help="read the PIN or password from stdin")
    return common


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register the staff commands on a kioskctl parser."""
    common = common_options()

    p = subparsers.add_parser("whoami", parents=[common], help="who the daemon takes you for, and your role")
    p.set_defaults(func=_run, build=lambda a: {"cmd": "whoami"}, show=_show_whoami)

    p = subparsers.add_parser("status", parents=[common], help="state, devices, cash box, outbox, backend")
    p.set_defaults(func=_run, build=lambda a: {"cmd": "status"}, show=_show_status)

    p = subparsers.add_parser("alerts", parents=[common], help="list alerts; ack/clear ID")
    p.add_argument("action", nargs="?", choices=("list", "ack", "clear"), default="list")
    p.add_argument("id", nargs="?", help="alert id (or its first 8+ characters)")
    p.add_argument("--all", action="store_true", help="also recently cleared alerts")
    p.add_argument("--by", default="", help="who acknowledges (staff name or number)")
    p.set_defaults(func=_run, build=_alerts_request, show=_show_alerts)

    txn = subparsers.add_parser("txn", help="look payments up (disputes)")
    actions = txn.add_subparsers(dest="txn_command", required=True)
    p = actions.add_parser("list", parents=[common], help="payments by account, time, amount")
    p.add_argument("--account")
    p.add_argument("--since", help="YYYY-MM-DD (local) or RFC 3339 time")
    p.add_argument("--until", help="YYYY-MM-DD (local, inclusive) or RFC 3339 time (exclusive)")
    p.add_argument("--amount", type=yuan_to_fen, help="amount in yuan, e.g. 125.00")
    p.set_defaults(func=_run, build=_txn_list_request, show=_show_txns)
    p = actions.add_parser("show", parents=[common], help="one payment: notes, times, backend answers")
    p.add_argument("ref", help="serial number (seq) or transaction id")
    p.set_defaults(func=_run, build=lambda a: {"cmd": "txn_show", "ref": a.ref}, show=_show_txn)

    receipt = subparsers.choices.get("receipt") or subparsers.add_parser("receipt", help="receipts")
    p = _subactions(receipt, "receipt_command").add_parser(
        "reprint", parents=[common], help="print a copy marked 补打 DUPLICATE n")
    p.add_argument("ref", help="serial number (seq) or transaction id")
    p.add_argument("--by", default="", help="who asked for the copy")
    p.set_defaults(func=_run, build=lambda a: {"cmd": "receipt_reprint", "ref": a.ref, "by": a.by or None},
                   show=_show_reprint)

    report = subparsers.add_parser("report", help="daily report (日结)")
    actions = report.add_subparsers(dest="report_command", required=True)
    p = actions.add_parser("daily", parents=[common], help="the figures of a day (default today)")
    p.add_argument("date", nargs="?", help="YYYY-MM-DD, local date")
    p.add_argument("--print", action="store_true", help="also print it on the receipt printer")
    p.set_defaults(func=_run, build=lambda a: {"cmd": "report_daily", "date": a.date, "print": a.print},
                   show=_show_report)
    p = actions.add_parser("range", parents=[common], help="the figures of a range of days (default the last 7)")
    p.add_argument("since", nargs="?", help="YYYY-MM-DD, first local date")
    p.add_argument("until", nargs="?", help="YYYY-MM-DD, last local date (default today)")
    p.set_defaults(func=_run, build=lambda a: {"cmd": "report_range", "since": a.since, "until": a.until},
                   show=lambda r, lang: print("\n".join(range_lines(r["report"], lang))))
    p = actions.add_parser("close", parents=[common], help="run the daily close now")
    p.add_argument("date", nargs="?", help="YYYY-MM-DD, local date")
    p.set_defaults(func=_run, build=lambda a: {"cmd": "report_close", "date": a.date}, show=_show_report)

    cashbox = subparsers.add_parser("cashbox", help="the cash box: start a dual-custody session")
    actions = cashbox.add_subparsers(dest="cashbox_command", required=True)
    p = actions.add_parser("open", parents=[common],
                           help="start a custody session; two technicians log in at the keypad")
    p.set_defaults(func=_run, build=lambda a: {"cmd": "cashbox_open"},
                   show=lambda r, lang: print(_L[lang]["custody_started"]))

    sim = subparsers.add_parser("sim", help="simulate mode only: notes and faults")
    actions = sim.add_subparsers(dest="sim_command", required=True)
    p = actions.add_parser("insert", parents=[common], help="insert a note (yuan; -1 = counterfeit)")
    p.add_argument("value", type=note_value, help="note value in yuan, e.g. 100, or -1")
    p.set_defaults(func=_run, build=_sim_insert_request, show=_show_inserted)
    p = actions.add_parser("fault", parents=[common], help="switch an emulator fault")
    p.add_argument("name")
    p.add_argument("position", choices=("on", "off"))
    p.set_defaults(func=_run, build=lambda a: {"cmd": "sim_fault", "name": a.name, "on": a.position == "on"},
                   show=lambda r, lang: print(" ".join(f"{k}={'on' if v else 'off'}"
                                                       for k, v in sorted(r["faults"].items()))))


def _subactions(parser: argparse.ArgumentParser, dest: str) -> argparse._SubParsersAction:
    """The parser's subcommand action (another module may have created `receipt` first)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=dest, required=True)


def yuan_to_fen(text: str) -> int:
    """'125', '125.5', '125.50' yuan -> fen, exactly (no floats)."""
    m = _YUAN.fullmatch(text.strip())
    if not m:
        raise Unreadable(f"应为以元计的金额，如 125.00，而不是 {text!r}", f"an amount in yuan like 125.00, got {text!r}")
    return int(m[1]) * 100 + int((m[2] or "0").ljust(2, "0"))


def _run(args: argparse.Namespace) -> int:
    target, request = prepared(args)
    answer = answered(args, target, request)
    return answer if isinstance(answer, int) else EXIT_OK


def prepared(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The kiosk the command names and its request (with the staff's secret for --as, read once)."""
    request = {k: v for k, v in args.build(args).items() if v is not None}
    target = resolve(args)
    if args.as_staff:
        secret = sys.stdin.readline().rstrip("\r\n") if args.secret_stdin else getpass.getpass(
            f"工号 {args.as_staff} 的密码（PIN）: " if args.lang == "zh-CN" else f"staff {args.as_staff}, PIN or password: ")
        request.update(staff=args.as_staff, secret=secret)
    return target, request


def answered(args: argparse.Namespace, target: Any, request: dict[str, Any],
             ask: Any = call) -> dict[str, Any] | int:
    """The kiosk's reply, shown (args.show, or --json); the exit code instead when it cannot be shown."""
    try:
        reply = ask(target.socket, request)
    except ControlError as err:
        print(f"kioskctl: {unreachable(target, err, args.lang)}", file=sys.stderr)
        return EXIT_UNREACHABLE
    if args.json:
        print(json.dumps(reply, ensure_ascii=False, indent=2))
        return reply if reply.get("ok") else EXIT_REFUSED
    if not reply.get("ok"):
        said = reply.get("error_zh") if args.lang == "zh-CN" and reply.get("error_zh") else reply.get("error")
        print(f"kioskctl: {said or _L[args.lang]['refused_plain']}", file=sys.stderr)  # in the staff's language when the kiosk has it
        return EXIT_REFUSED
    args.show(reply, args.lang)
    return reply


def _alerts_request(a: argparse.Namespace) -> dict[str, Any]:
    if a.action == "list":
        return {"cmd": "alerts", "all": a.all}
    if not a.id:
        raise SystemExit(f"kioskctl: alerts {a.action} 须指定告警编号" if a.lang == "zh-CN"
                         else f"kioskctl: alerts {a.action} needs an alert id")
    return {"cmd": f"alert_{a.action}", "id": a.id, "by": a.by or None}


def _txn_list_request(a: argparse.Namespace) -> dict[str, Any]:
    return {"cmd": "txn_list", "account": a.account, "since": a.since, "until": a.until, "amount": a.amount}


def _sim_insert_request(a: argparse.Namespace) -> dict[str, Any]:
    return {"cmd": "sim_insert", "value": a.value}


def note_value(text: str) -> int:
    """A note's value in yuan -> fen; '-1' (a counterfeit) stays -1."""
    return -1 if text.strip() == "-1" else yuan_to_fen(text)


# --- output -------------------------------------------------------------------------------
def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain text table whose columns line up with Chinese text too."""
    widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c) + " " * (w - _width(str(c))) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _show_whoami(r: dict[str, Any], lang: str) -> None:
    p = r["person"]
    print(f"{p['label']}  {ROLE_NAMES[lang][p['role']]}  ({p['via']})")


def state_words(state: str, lang: str) -> str:
    """The kiosk state `state` in words, from the table the staff page reads too; the code for one without."""
    zh, en = words.state_words(state)
    return zh if lang == "zh-CN" else en


def reason_words(fields: dict[str, Any], lang: str) -> str:
    """A backend refusal in words (`reason_zh`/`reason_en` from the daemon); the code too when the
    words are only the generic phrase, for the call to the operator."""
    said = fields["reason_zh" if lang == "zh-CN" else "reason_en"]
    if fields["reason_known"]:
        return said
    return f"{said}（代码：{fields['reason']}）" if lang == "zh-CN" else f"{said} (code: {fields['reason']})"


def alert_words(a: dict[str, Any], lang: str) -> str:
    """An alert's title, with why in words: a device's cause or the backend's refusal (the code too
    for the generic phrase; the driver's own text stays in --json)."""
    zh = lang == "zh-CN"
    title = a["title_zh" if zh else "title_en"]
    if "cause_zh" in a:
        why = a["cause_zh" if zh else "cause_en"]
        if not a["cause_known"]:
            why += f"（代码：{a['cause'] or '-'}）" if zh else f" (code: {a['cause'] or '-'})"
    elif "reason_zh" in a:
        why = reason_words({**a, "reason": a["detail"].get("reason", "")}, lang)
    else:
        return title
    return f"{title}：{why}" if zh else f"{title}: {why}"


def _show_status(r: dict[str, Any], lang: str) -> None:
    t = _L[lang]
    money = lambda fen: format_money(fen, r["currency"], lang)  # noqa: E731
    print(f"{r['kiosk']}  {t['state']}: {state_words(r['state'], lang)}" + (f"  ({t['simulate']})" if r["simulate"] else ""))
    if r["problems"]:
        print(f"{t['problems']}: {', '.join(sorted(r['problems'].values()))}")
    print(f"{t['devices']}: " + ", ".join(_device_line(k, v, lang) for k, v in r["devices"].items()))
    box = r["box"]
    notes = ", ".join(f"{money(int(v))}x{c}" for v, c in box["by_note"].items())
    print(f"{t['box']}: {box['notes']} {t['notes']} / {money(box['total'])}" + (f"  ({notes})" if notes else ""))
    depth = ", ".join(f"{k} {v}" for k, v in r["outbox"].items()) or "0"
    print(f"{t['outbox']}: {depth}")
    contact = r["last_backend_contact"]
    print(f"{t['contact']}: {when_local(contact, r['tz'], '%Y-%m-%d %H:%M:%S') if contact else t['never']}")
    _show_uplink(r, lang)
    print(f"{t['alerts']}: {r['alerts_open']}")


# A device's name and its state as staff read them; an alert code reads as that alert's title.
_DEVICE_WORDS = {
    "validator": ("识币器", "validator"), "printer": ("打印机", "printer"), "door": ("机门", "door"),
    "online": ("正常", "online"), "open": ("打开", "open"), "closed": ("关闭", "closed"),
    "unreadable": ("无法读取", "unreadable"), "unknown": ("未知", "unknown"),
}


def _device_line(device: str, state: str, lang: str) -> str:
    """"识币器 正常" / "validator online"; a word not known (a newer daemon's) as it came."""
    i = 0 if lang == "zh-CN" else 1
    word = lambda key: (_DEVICE_WORDS.get(key) or TITLES.get(key) or (key, key))[i]  # noqa: E731
    return f"{word(device)} {word(state)}"


def when_local(text: str | None, tz: str, fmt: str = "%m-%d %H:%M") -> str:
    """A stored UTC time (RFC 3339) as staff read it: local to the kiosk's `tz`; "-" for none."""
    return local_text(text, tz, fmt)


def _show_uplink(r: dict[str, Any], lang: str) -> None:
    t, up, tz = _L[lang], r["uplink"], r["tz"]
    pending = up["pending"]
    print(t["uplink"].format(count=pending["count"], amount=format_money(pending["amount"], r["currency"], lang),
                             batches=up["batches_waiting"]))
    refused = up["refused"]
    if refused is not None:
        line = t["refused_past" if refused["cleared"] else "refused"]
        print(line.format(seq=refused["seq"], reason=reason_words(refused, lang), since=when_local(refused["since"], tz),
                          cleared=when_local(refused["cleared"], tz)))


def _show_alerts(r: dict[str, Any], lang: str) -> None:
    t = _L[lang]
    if "alert" in r:
        print(f"{t['acked']} {r['alert']['id']} ({r['alert']['code']})")
        return
    if "cleared" in r:
        print(f"{t['cleared']} {r['cleared']} ({r['code']})")
        return
    if not r["alerts"]:
        print(t["no_alerts"])
        return
    rows = [[a["id"][:8], a["code"], a["device"], a["severity"], a["state"],
             when_local(a["raised_at"] or a["at"], r["tz"], "%Y-%m-%d %H:%M:%S"),  # as the times in its words
             alert_words(a, lang)] for a in r["alerts"]]
    print(table([t["id"], t["code"], t["device"], t["severity"], t["state"], t["at"], t["title"]], rows))


def _show_txns(r: dict[str, Any], lang: str) -> None:
    t = _L[lang]
    if not r["txns"]:
        print(t["no_txns"])
        return
    rows = [[str(x["seq"]), x["txn"], x["account"], format_money(x["amount"], "CNY", lang), x["state"], x["started"]]
            for x in r["txns"]]
    print(table([t["seq"], "txn", t["account"], t["amount"], t["state"], t["started"]], rows))


def _show_txn(r: dict[str, Any], lang: str) -> None:
    x, tz = r["txn"], r.get("tz", "UTC")
    money = lambda fen: format_money(fen, "CNY", lang)  # noqa: E731
    local = lambda text: when_local(text, tz, "%Y-%m-%d %H:%M:%S")  # noqa: E731 - stored UTC, read locally
    for key in ("seq", "id", "account", "holder", "state", "started", "ended", "ref"):
        value = local(x[key]) if key in ("started", "ended") else x[key]
        print(f"{key:>8}: {value if value is not None else '-'}")
    if x.get("opened_reason"):  # why it exists (a follow-up payment), and below how it ended
        print(f"{'opened':>8}: {x['opened_zh' if lang == 'zh-CN' else 'opened_en']}")
    print(f"{'reason':>8}: {reason_words(x, lang) if x['reason'] else '-'}")
    print(f"{'amount':>8}: {money(x['amount'])}  (due {money(x['due'])})")
    if x["balance"] is not None:
        print(f"{'balance':>8}: {money(x['balance'])}")
    print(f"{'notes':>8}:")
    for n in x["notes"]:
        print(f"          {local(n['at'])}  {money(n['value'])}")
    if x["sent"] is not None:
        print(f"{'sent':>8}: {json.dumps(x['sent'], ensure_ascii=False)}")
    for d in x.get("in_doubt") or []:
        print(_DOUBT[lang]["head"].format(id=d["id"], value=money(d["value"]), at=local(d["at"])))
        if d["state"] != "in_doubt":
            print(_DOUBT[lang][d["state"]].format(by=d["settled_by"], at=local(d["settled"]), basis=d["basis"],
                                                  reason=d["reason"] or "-"))


_DOUBT = {
    "zh-CN": {"head": "去向不明的纸币 {id}: {value}（{at} 送入钱箱时终端中断，识币器无法确认是否入箱）",
              "stacked": "          已确认入箱（{basis}，{by}，{at}）：由差错单入账。{reason}",
              "not_in_box": "          已确认不在钱箱（{basis}，{by}，{at}）。{reason}"},
    "en": {"head": "note in doubt {id}: {value} (sent to be stacked at {at} as the kiosk stopped; the validator "
                   "cannot tell whether it went into the box)",
           "stacked": "          settled as in the box ({basis}, {by}, {at}): a case credits it. {reason}",
           "not_in_box": "          settled as not in the box ({basis}, {by}, {at}). {reason}"},
}


def _show_inserted(r: dict[str, Any], lang: str) -> None:
    t = _L[lang]
    if r.get("handed_back"):
        print(f"{t['handed_back']}: {t['not_taking'].format(state=state_words(r['state'], lang))}")
        return
    value = r["inserted"]
    print(f"{t['inserted']} {t['counterfeit'] if value == -1 else format_money(value, 'CNY', lang)}")


def _show_reprint(r: dict[str, Any], lang: str) -> None:
    t = _L[lang]
    print(f"{t['reprinted']} #{r['seq']} ({t['dup']} {r['duplicate']})")


def _show_report(r: dict[str, Any], lang: str) -> None:
    # imported here: the daily close's code comes with it, and only `report` needs it
    from kioskd.hall.reports import report_lines

    print("\n".join(report_lines(r["report"], lang)))
