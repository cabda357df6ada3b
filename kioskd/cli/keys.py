"""`kioskctl keys init|show`: create the kiosk key, print its public half for enrolment."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kioskd.cli.where import resolve
from kioskd.hall.journal_words import key_text
from kioskd.uplink.errors import KeyFileError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# kioskd.uplink.keys (cryptography) is imported where a key is read, not with kioskctl's parser

_TEXT = {"zh-CN": {"created": "已创建 {path}", "public": "公钥（在后台登记）: {key}"},
         "en": {"created": "created {path}", "public": "public key (enrol at the backend): {key}"}}


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `keys init [--key FILE]` and `keys show [--key FILE]`."""
    keys = subparsers.add_parser("keys", help="the kiosk's signing key")
    sub = keys.add_subparsers(dest="keys_command", required=True)
    init = sub.add_parser("init", help="create a new Ed25519 key (never overwrites)")
    init.add_argument("--key", type=Path, help="key file (PEM PKCS#8; default: the config's key)")
    init.set_defaults(func=_init)
    show = sub.add_parser("show", help="print the public key (JWK and raw base64url)")
    show.add_argument("--key", type=Path, help="key file (PEM PKCS#8; default: the config's key)")
    show.set_defaults(func=_show)
    for parser in (init, show):
        parser.add_argument("--lang", choices=tuple(_TEXT), default="zh-CN", help="language of the output")
        parser.add_argument("--json", action="store_true",
                            help="print the key file and public key as JSON (a refusal: exit status and "
                                 "one line on stderr)")


def key_file(args: argparse.Namespace) -> Path:
    """--key, else the key of the config kioskctl reads (<state>/kiosk.key by default)."""
    return args.key or resolve(args).key


def _init(args: argparse.Namespace) -> int:
    from kioskd.uplink.keys import init_key, load_key, public_b64url

    path = key_file(args)
    try:
        init_key(path)
        key = load_key(path)
    except KeyFileError as err:
        print(f"kioskctl: {key_text(err, args.lang)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"ok": True, "created": str(path), **_public(key)}, ensure_ascii=False))
        return 0
    print(_TEXT[args.lang]["created"].format(path=path))
    print(_TEXT[args.lang]["public"].format(key=public_b64url(key)))
    return 0


def _show(args: argparse.Namespace) -> int:
    from kioskd.uplink.keys import load_key, public_b64url, public_jwk

    path = key_file(args)
    try:
        key = load_key(path)
    except KeyFileError as err:
        print(f"kioskctl: {key_text(err, args.lang)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"ok": True, "key": str(path), **_public(key)}, ensure_ascii=False))
        return 0
    print(json.dumps(public_jwk(key), sort_keys=True))
    print(public_b64url(key))
    return 0


def _public(key: Ed25519PrivateKey) -> dict[str, Any]:
    """The public half as the backend enrols it: raw base64url and the JWK."""
    from kioskd.uplink.keys import public_b64url, public_jwk

    return {"public_key": public_b64url(key), "jwk": public_jwk(key)}
