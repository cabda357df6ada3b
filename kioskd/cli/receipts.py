"""`receipt verify`: check the signed proof from a receipt's QR code (kioskctl subcommand)."""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from typing import TYPE_CHECKING

from kioskd.cli.where import resolve
from kioskd.hall.journal_words import public_key_reason

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# cryptography is imported where a key is read, not with kioskctl's parser: the commands that
# only ask the daemon (status, alerts, ...) do not load it

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

_MESSAGES = {
    "zh-CN": {
        "valid": "凭条签名有效",
        "invalid": "凭条证明无效（被改动或不是本终端签发）",
        "kiosk": "终端号",
        "txn": "交易号",
        "seq": "流水号",
        "amount": "金额",
        "fen": "分",
        "at": "时间 (UTC)",
        "bad_key": "无法读取公钥",
        "key_fix": "请用 --pubkey 公钥 或 --key 文件 指定签发凭条的终端",
    },
    "en": {
        "valid": "receipt signature is valid",
        "invalid": "receipt proof is NOT valid (altered, or not signed by this kiosk)",
        "kiosk": "kiosk",
        "txn": "transaction",
        "seq": "serial no.",
        "amount": "amount",
        "fen": "fen",
        "at": "time (UTC)",
        "bad_key": "cannot read the public key",
        "key_fix": "name the kiosk that signed the receipt with --pubkey B64 or --key FILE",
    },
}


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `receipt verify TEXT --pubkey B64URL | --key FILE` on a kioskctl parser."""
    receipt = subparsers.add_parser("receipt", help="receipts: verify a QR proof")
    actions = receipt.add_subparsers(dest="receipt_command", required=True)
    verify = actions.add_parser("verify", help="check the signed proof read from a receipt's QR code")
    verify.add_argument("text", help="the QR code's text: the proof (K1....) or the receipt URL holding it")
    key = verify.add_mutually_exclusive_group()
    key.add_argument("--pubkey", help="the kiosk's Ed25519 public key, 32 bytes base64url")
    key.add_argument("--key", help="PEM file: the kiosk's public key or its PKCS#8 private key "
                                   "(default: the config's key)")
    verify.add_argument("--lang", choices=tuple(_MESSAGES), default="zh-CN", help="language of the output")
    verify.add_argument("--json", action="store_true",
                        help="print the verdict and the signed fields as JSON (same exit status)")
    verify.set_defaults(func=verify_command)


def load_public_key(*, pubkey: str | None = None, key_file: str | None = None) -> Ed25519PublicKey:
    """An Ed25519 public key from base64url raw bytes or a PEM file (public or private key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    if pubkey is not None:
        raw = base64.urlsafe_b64decode(pubkey + "=" * (-len(pubkey) % 4))
        return Ed25519PublicKey.from_public_bytes(raw)
    assert key_file is not None
    with open(key_file, "rb") as fh:
        pem = fh.read()
    if b"PRIVATE KEY" in pem:
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"{key_file}: not an Ed25519 key")
        return private.public_key()
    public = serialization.load_pem_public_key(pem)
    if not isinstance(public, Ed25519PublicKey):
        raise ValueError(f"{key_file}: not an Ed25519 key")
    return public


def verify_command(args: argparse.Namespace) -> int:
    """Print the verified fields (exit 0) or say the proof is not valid (exit 1)."""
    from backend_api.receipt_proof import ProofError, proof_in, verify_proof

    text = _MESSAGES[args.lang]
    key_file = args.key or (None if args.pubkey else str(resolve(args).key))
    try:
        public_key = load_public_key(pubkey=args.pubkey, key_file=key_file)
    except (OSError, ValueError, binascii.Error) as err:
        reason = public_key_reason(err, args.lang)
        print(f"kioskctl: {text['bad_key']} ({key_file or '--pubkey'}: {reason}): {text['key_fix']}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        fields = verify_proof(proof_in(args.text), public_key)
    except ProofError as err:
        if args.json:  # a verdict, not a refusal: on stdout, as audit verify --json gives its problems
            print(json.dumps({"ok": False, "reason": str(err)}, ensure_ascii=False))
        else:
            print(f"{text['invalid']}: {err}", file=sys.stderr)
        return EXIT_INVALID
    amount = fields["amount"]
    assert isinstance(amount, int)
    if args.json:
        print(json.dumps({"ok": True, **fields}, ensure_ascii=False))
        return EXIT_OK
    print(text["valid"])
    print(f"{text['kiosk']}: {fields['kiosk']}")
    print(f"{text['txn']}: {fields['txn']}")
    print(f"{text['seq']}: {fields['seq']}")
    print(f"{text['amount']}: {amount // 100}.{amount % 100:02d} ({amount} {text['fen']})")
    print(f"{text['at']}: {fields['at']}")
    return EXIT_OK
