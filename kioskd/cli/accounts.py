"""`kioskctl staff add|disable|list` (and `tech`, the same for technicians): staff accounts,
directly on the journal, each change recorded with the caller's identity (the local user)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from kioskd.cli.staff import table, when_local
from kioskd.cli.where import resolve
from kioskd.config import DEFAULT_TZ
from kioskd.hall.accounts import ROLE_NAMES, socket_caller
from kioskd.hall.journal_words import key_text
from kioskd.ledger.errors import LedgerError
from kioskd.ledger.roles import ROLES
from kioskd.uplink.errors import KeyFileError

if TYPE_CHECKING:
    from kioskd.ledger import Ledger

# The journal (SQLite) and the key code (cryptography) are imported in the functions that use
# them, not with kioskctl's parser: the commands that only ask the daemon do not load them.

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `staff add|disable|list` and its technicians-only alias `tech add|disable|list`."""
    staff = subparsers.add_parser("staff", parents=[_common(leaf=False)],
                                  help="staff accounts: hall staff, managers, technicians")
    _actions(staff, "staff_command", role=None)
    tech = subparsers.add_parser("tech", parents=[_common(leaf=False)],
                                 help="technicians who open the cash box (staff with the role technician)")
    _actions(tech, "tech_command", role="technician")


def _common(leaf: bool) -> argparse.ArgumentParser:
    """The options, accepted before and after the action (`staff --kiosk K add ... --json`);
    --config/--state come from kioskd.cli.where, as for every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    # on the action, an option not given must not hide the one given before it
    keep: dict[str, Any] = {"default": argparse.SUPPRESS} if leaf else {}
    common.add_argument("--kiosk", help="kiosk id, only for a journal that does not exist yet", **keep)
    common.add_argument("--json", action="store_true", help="print the result as JSON", **keep)
    common.add_argument("--lang", choices=tuple(_TEXT), help="language of the output and prompts (default zh-CN)",
                        **keep)
    return common


def _actions(parser: argparse.ArgumentParser, dest: str, role: str | None) -> None:
    sub = parser.add_subparsers(dest=dest, required=True)
    leaf = _common(leaf=True)
    add = sub.add_parser("add", parents=[leaf], help="add an account; the PIN or password is asked twice")
    add.add_argument("id", help="staff ID (digits, typed on the kiosk keypad too)")
    add.add_argument("--name", required=True, help="full name as printed on statements and shown to staff")
    if role is None:
        add.add_argument("--role", required=True, choices=ROLES,
                         help="hall (hall staff), manager, or technician (the cash box)")
    add.add_argument("--pin-stdin", "--secret-stdin", dest="secret_stdin", action="store_true",
                     help="read the PIN or password from the first line of stdin")
    add.set_defaults(func=_add, role=role)
    disable = sub.add_parser("disable", parents=[leaf], help="disable an account for good (kept in the record)")
    disable.add_argument("id")
    disable.set_defaults(func=_disable)
    listing = sub.add_parser("list", parents=[leaf], help="list the accounts")
    listing.set_defaults(func=_list, only=role)


_TEXT = {  # what the commands ask and say, in the staff's language
    "zh-CN": {"pin": "PIN（至少 6 位数字）: ", "secret": "PIN（至少 6 位数字）或密码（至少 8 位）: ",
              "again": "再输入一次: ", "differ": "两次输入不一致", "added": "已添加{role} {id}", "disabled": "已停用 {id}",
              "exists": "工号 {id} 已存在（工号不会重复使用）", "unknown": "工号 {id} 不存在", "none": "无",
              "enabled": "可用",
              "off": "已停用", "locked": "，锁定至 {until}", "bad_key": "无法读取终端密钥（员工密码以它加密保存）",
              "no_journal": "找不到账本：{state} [{found}]。请先启动一次 kioskd，用 --state 目录 或 --config 配置文件 "
                            "指定状态目录，或用 --kiosk 终端号 新建账本"},
    "en": {"pin": "PIN (at least 6 digits): ", "secret": "PIN (6+ digits) or password (8+): ",
           "again": "again: ", "differ": "the two entries differ", "added": "added {role} {id}",
           "disabled": "disabled {id}", "exists": "staff {id} exists (IDs are never reused)",
           "unknown": "unknown staff {id}", "none": "none",
           "enabled": "enabled", "off": "disabled",
           "locked": ", locked until {until}", "bad_key": "cannot read the kiosk key (PINs are kept keyed with it)",
           "no_journal": "no journal in {state} [from {found}]: start kioskd once, name its state folder with "
                         "--state DIR or --config FILE, or pass --kiosk ID to create one"},
}


_HEADERS = {"zh-CN": ["工号", "姓名", "角色", "状态", "错误次数", "添加时间"],
            "en": ["ID", "name", "role", "state", "failures", "added"]}
# the kiosk's time zone when no config names one (kioskd.config's default)


def _lang(args: argparse.Namespace) -> str:
    return getattr(args, "lang", None) or "zh-CN"


def _read_secret(args: argparse.Namespace) -> str | None:
    if args.secret_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    words = _TEXT[_lang(args)]
    first = getpass.getpass(words["pin"] if args.role == "technician" else words["secret"])
    if getpass.getpass(words["again"]) != first:
        print(words["differ"], file=sys.stderr)
        return None
    return first


def _add(args: argparse.Namespace) -> int:
    from kioskd.ledger.staff import id_problem, secret_problem

    lang = _lang(args)
    t = _TEXT[lang]
    problem = id_problem(args.id, lang)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    secret = _read_secret(args)
    if secret is None:
        return EXIT_USAGE
    problem = secret_problem(secret, args.role, lang)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE

    async def add(ledger: Ledger) -> dict[str, Any]:
        if await _exists(ledger, args.id):  # said in the staff's words (the ledger refuses it too)
            raise LedgerError(t["exists"].format(id=args.id))
        await ledger.staff_add(args.id, args.name, args.role, secret, _caller())
        return {"added": args.id, "role": args.role}

    return _with_ledger(args, add, lambda r, _tz: t["added"].format(role=ROLE_NAMES[lang][r["role"]], id=r["added"]))


def _disable(args: argparse.Namespace) -> int:
    t = _TEXT[_lang(args)]

    async def disable(ledger: Ledger) -> dict[str, Any]:
        if not await _exists(ledger, args.id):
            raise LedgerError(t["unknown"].format(id=args.id))
        await ledger.staff_disable(args.id, _caller())
        return {"disabled": args.id}

    return _with_ledger(args, disable, lambda r, _tz: t["disabled"].format(id=r["disabled"]))


def _list(args: argparse.Namespace) -> int:
    lang = _lang(args)
    t = _TEXT[lang]

    async def listing(ledger: Ledger) -> dict[str, Any]:
        return {"staff": [asdict(m) for m in await ledger.staff_list(args.only)]}

    def text(reply: dict[str, Any], tz: str) -> str:
        rows = []
        for m in reply["staff"]:
            state = t["enabled"] if m["enabled"] else t["off"]
            if m["locked_until"]:
                state += t["locked"].format(until=when_local(m["locked_until"], tz, "%Y-%m-%d %H:%M"))
            rows.append([m["id"], m["name"], ROLE_NAMES[lang].get(m["role"], m["role"]), state, str(m["failures"]),
                         when_local(m["created"], tz, "%Y-%m-%d %H:%M")])
        return table(_HEADERS[lang], rows) if rows else t["none"]

    return _with_ledger(args, listing, text)


async def _exists(ledger: Ledger, staff_id: str) -> bool:
    return any(m.id == staff_id for m in await ledger.staff_list(None))


def _caller() -> dict[str, Any]:
    """Who runs kioskctl on the journal: the local user (an installer's job)."""
    return socket_caller(os.getuid()).audit()


def _with_ledger(args: argparse.Namespace, action: Any, show: Any) -> int:
    import asyncio

    from kioskd.ledger import Ledger
    from kioskd.ledger.custody import read_identity
    from kioskd.uplink.keys import load_key, pin_key

    t = _TEXT[_lang(args)]
    target = resolve(args)
    state = target.state
    identity = read_identity(state)
    if identity is None:
        if not args.kiosk:
            print("kioskctl: " + t["no_journal"].format(state=state.absolute(), found=target.describe(_lang(args))),
                  file=sys.stderr)
            return EXIT_USAGE
        identity = (args.kiosk, "CNY")

    try:  # PIN hashes are keyed with it: no staff accounts without the kiosk key
        key = pin_key(load_key(target.key))
    except KeyFileError as err:
        print(f"kioskctl: {t['bad_key']}: {key_text(err, _lang(args))}", file=sys.stderr)
        return EXIT_FAILED

    async def run() -> dict[str, Any]:
        ledger = await Ledger.open(state, *identity, pin_key=key)
        try:
            await ledger.staff_key_old_hashes()
            return await action(ledger)
        finally:
            await ledger.close()

    try:
        reply = asyncio.run(run())
    except LedgerError as err:
        if args.json:
            print(json.dumps({"ok": False, "error": str(err)}, ensure_ascii=False))
        else:
            print(f"kioskctl: {err}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"ok": True, **reply}, ensure_ascii=False, indent=2))
    else:
        # times in the kiosk's local time, as everywhere else staff read them
        print(show(reply, target.loaded.kiosk.tz if target.loaded else DEFAULT_TZ))
    return EXIT_OK
