"""What the checks of tables against their chain entries share (moneycheck, casecheck)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from kioskd.ledger.audit import kind_indexed


def entries(conn: sqlite3.Connection, *kinds: str) -> Iterator[tuple[int, str, str]]:
    """(seq, kind, data) of the chain entries of `kinds`, in chain order."""
    marks = ", ".join("?" * len(kinds))
    yield from conn.execute(f"SELECT seq, kind, data FROM audit WHERE kind IN ({marks}){kind_indexed(kinds)}"
                               " ORDER BY seq", kinds)


def first_difference(chained: dict[str, Any], table: dict[str, Any]) -> str | None:
    """The first field where a chain entry's data and its row differ, or None."""
    for key in sorted(set(chained) | set(table)):
        a, b = chained.get(key), table.get(key)
        if a != b or type(a) is not type(b):
            return f"{key}: table {b!r}, chain {a!r}"
    return None


def loads(text: str) -> dict[str, Any]:
    """An entry's or a row's JSON object; {} for anything else (the check then names what differs)."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
