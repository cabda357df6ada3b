"""JSON from outside, parsed one way only: no duplicate keys, no NaN/Infinity, bounded nesting.

Every parser of input the kiosk or the backend does not control goes through `loads`: the
backend's signed payloads, the screen's WebSocket and /key, the control socket. Python's
parser recurses once per level and lets the last of two equal keys win; a payload that means
two things, or that is nested until the interpreter gives up, is refused with JsonRefused.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32  # our deepest legitimate document (a batch of payments with notes) is 5 deep


class JsonRefused(ValueError):
    """The text is not JSON we accept; str() says why in one line."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise JsonRefused(f"duplicate key {twice[:40]!r}")
    return obj


def _no_constants(name: str) -> None:
    raise JsonRefused(f"{name} is not JSON")


def depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed value (a scalar is 0); iterative."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text strictly; raise JsonRefused (a ValueError) naming the first problem."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise JsonRefused(f"not UTF-8: {err.reason}") from err
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except RecursionError:
        raise JsonRefused(f"nested deeper than {max_depth} levels") from None
    except JsonRefused:
        raise
    except ValueError as err:
        raise JsonRefused(f"not JSON: {err}") from err
    if depth(value) > max_depth:
        raise JsonRefused(f"nested deeper than {max_depth} levels")
    return value
