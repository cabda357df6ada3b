"""`kioskctl audit verify|head`: walk the audit chain and its signed checkpoints."""

from __future__ import annotations

import argparse
import binascii
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kioskd.cli.receipts import load_public_key
from kioskd.cli.staff import when_local
from kioskd.cli.where import resolve
from kioskd.config import DEFAULT_TZ
from kioskd.hall.journal_words import problem_text, public_key_reason
from kioskd.hall.storage_words import storage_text
from kioskd.ledger.errors import LedgerError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from kioskd.ledger.checkpoints import AuditProblem
    from kioskd.uplink.keys import signature_checker

# The journal (SQLite) and the key code (cryptography) are imported where the chain is walked, not
# with kioskctl's parser: the commands that only ask the daemon do not load them.

__all__ = ["add_commands", "signature_checker", "verify_command"]


def __getattr__(name: str) -> Any:
    """`signature_checker` (kioskd.uplink.keys) as this module has always named it, imported when asked."""
    if name == "signature_checker":
        from kioskd.uplink.keys import signature_checker

        return signature_checker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

EXIT_OK, EXIT_BAD, EXIT_USAGE = 0, 1, 2

_TEXT = {
    "zh-CN": {"ok": "审计链完整", "bad": "审计链被改动，第一个有问题的条目", "altered": "账本被改动", "entries": "条目",
              "checkpoints": "签名检查点", "no_journal": "找不到账本", "bad_key": "无法读取终端密钥",
              "key_fix": "请以 kioskd 组成员运行，或用 --key 文件 / --pubkey 公钥（kioskctl keys show 输出）指定",
              "journal_fix": "请用 --state 目录 或 --config 配置文件 指定终端的状态目录",
              "head": "链头", "last_at": "最后一个在第 {seq} 条（{at}）",
              "witness": "--witness 应为 流水号:哈希（64 位十六进制）"},
    "en": {"ok": "audit chain intact", "bad": "audit chain altered; first bad entry", "altered": "journal altered",
           "entries": "entries",
           "checkpoints": "signed checkpoints", "no_journal": "no journal found", "bad_key": "cannot read the kiosk key",
           "key_fix": "run as a member of the kioskd group, or give --key FILE or --pubkey B64 "
                      "(the public key `kioskctl keys show` prints)",
           "journal_fix": "name the kiosk's state folder with --state DIR or --config FILE",
           "head": "head", "last_at": "last at entry {seq} ({at})", "witness": "--witness must be SEQ:HASH (64 hex digits)"},
}


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `audit verify [--key FILE | --pubkey B64] [--witness SEQ:HASH]` (journal of --state)."""
    audit = subparsers.add_parser("audit", help="the tamper-evident audit chain")
    sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = sub.add_parser("verify", help="walk the chain and the signed checkpoints; name the first bad entry")
    key = verify.add_mutually_exclusive_group()
    key.add_argument("--key", help="PEM key file (default: the config's key, <state>/kiosk.key)")
    key.add_argument("--pubkey", help="the kiosk's Ed25519 public key, base64url")
    verify.add_argument("--witness", help="SEQ:HASH the backend witnessed, checked too")
    verify.add_argument("--quick", action="store_true",
                        help="re-hash only from the last signed checkpoint, as start-up does")
    verify.add_argument("--lang", choices=tuple(_TEXT), default="zh-CN")
    verify.add_argument("--json", action="store_true", help="print the verdict as JSON (same exit status)")
    verify.set_defaults(func=verify_command)


def verify_command(args: argparse.Namespace) -> int:
    """Exit 0 when chain and checkpoints hold, 1 naming the first bad entry, 2 on usage errors."""
    text = _TEXT[args.lang]
    target = resolve(args)
    key_file = args.key or str(target.key)
    try:
        public_key = load_public_key(pubkey=args.pubkey, key_file=key_file)
    except (OSError, ValueError, binascii.Error) as err:
        what = "--pubkey" if args.pubkey else key_file
        reason = public_key_reason(err, args.lang)
        print(f"kioskctl: {text['bad_key']} ({what}: {reason}): {text['key_fix']}", file=sys.stderr)
        return EXIT_USAGE
    witness = None
    if args.witness:
        seq, _, digest = args.witness.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            print(text["witness"], file=sys.stderr)
            return EXIT_USAGE
        witness = (int(seq), digest.lower())
    import asyncio

    from kioskd.ledger.custody import read_identity

    identity = read_identity(target.state)
    if identity is None:
        print(f"kioskctl: {text['no_journal']}: {target.state.absolute()} [{target.describe(args.lang)}]: "
              f"{text['journal_fix']}", file=sys.stderr)
        return EXIT_USAGE
    try:
        problems, head, checkpoint = asyncio.run(_check(target.state, identity, public_key, witness,
                                                        full=not args.quick))
    except LedgerError as err:
        print(f"kioskctl: {storage_text(err, args.lang)}", file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "json", False):
        print(json.dumps({"ok": not problems, "entries": head[0], "head": head[1], "checkpoint": checkpoint,
                          "problems": [{"seq": p.seq or None, "code": p.code, "values": p.values, "reason": p.reason,
                                       "words": problem_text(p.code, p.values, args.lang)} for p in problems]},
                         ensure_ascii=False))
        return EXIT_BAD if problems else EXIT_OK
    if problems:
        for i, problem in enumerate(problems):
            label = text["bad"] if problem.seq else text["altered"]
            where = f"{problem.seq}: " if problem.seq else ""
            said = problem_text(problem.code, problem.values, args.lang)
            print(f"{label}: {where}{said}" if i == 0 else f"  {where}{said}")
        return EXIT_BAD
    print(f"{text['ok']}: {head[0]} {text['entries']}, {text['head']} {head[1]}")
    if checkpoint is not None:
        tz = target.loaded.kiosk.tz if target.loaded else DEFAULT_TZ
        at = when_local(checkpoint["at"], tz, "%Y-%m-%d %H:%M:%S")
        print(f"{text['checkpoints']}: {text['last_at'].format(seq=checkpoint['seq'], at=at)}")
    return EXIT_OK


async def _check(
    state: Path, identity: tuple[str, str], public_key: Ed25519PublicKey, witness: tuple[int, str] | None,
    *, full: bool,
) -> tuple[list[AuditProblem], tuple[int, str], dict | None]:
    from kioskd.ledger import Ledger
    from kioskd.uplink.keys import signature_checker

    ledger = await Ledger.open(state, *identity)
    try:
        problems = await ledger.audit_check(signature_checker(public_key), witness, full=full)
        return problems, await ledger.audit_head(), await ledger.audit_last_checkpoint()
    finally:
        await ledger.close()
