"""`kioskd-backend kiosk ...` and `operator ...`: enrolment and operator accounts."""

from __future__ import annotations

import argparse
import json
import sys

from refbackend.enrolment import check_id, enroll
from refbackend.operators import add_operator, disable_operator, operators
from refbackend.store import BackendStore


def kiosk_command(store: BackendStore, args: argparse.Namespace) -> int:
    """kiosk add / disable / enable / list."""
    if args.action == "add":
        enroll(store, args.kiosk_id, args.key, args.hall)
        print(f"kiosk {args.kiosk_id} enrolled in hall {args.hall}")
    elif args.action in ("disable", "enable"):
        check_id(args.kiosk_id, "kiosk id")
        if not store.set_enabled(args.kiosk_id, args.action == "enable"):
            raise ValueError(f"kiosk {args.kiosk_id!r} is not enrolled")
        print(f"kiosk {args.kiosk_id} {args.action}d")
    else:
        rows = [{**k, "enabled": bool(k["enabled"])} for k in store.kiosks(args.hall)]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        for k in [] if args.json else rows:
            print(f"{k['kid']:<16} {k['hall'] or '-':<12} {'enabled ' if k['enabled'] else 'disabled'} "
                  f"{k['public_key']}  last contact {k['last_contact'] or 'never'}")
    return 0


def operator_command(store: BackendStore, args: argparse.Namespace) -> int:
    """operator add / disable / list; the password of `add` is read from stdin."""
    if args.action == "add":
        password = sys.stdin.readline().rstrip("\n")
        add_operator(store, args.login, args.name, password)
        print(f"operator {args.login} added")
    elif args.action == "disable":
        disable_operator(store, args.login)
        print(f"operator {args.login} disabled")
    else:
        for o in operators(store):
            print(f"{o['login']:<16} {'enabled ' if o['enabled'] else 'disabled'} {o['name']}  since {o['created']}")
    return 0
