"""RFC 8785 JSON Canonicalization Scheme (JCS): the bytes every signature covers."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

# ES6 integers are IEEE doubles: beyond Number.MAX_SAFE_INTEGER (2**53 - 1) an integer could be
# silently rounded (RFC 8785 section 3.2.2.3; the rfc8785 package draws the line there too)
_MAX_SAFE_INT = 2**53 - 1
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def canonicalize(obj: Any) -> bytes:
    """Serialize `obj` (dict/list/str/int/float/bool/None) as RFC 8785 canonical UTF-8 JSON."""
    parts: list[str] = []
    _write(obj, parts)
    return "".join(parts).encode("utf-8")


def _write(obj: Any, out: list[str]) -> None:
    if obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, int):
        if abs(obj) > _MAX_SAFE_INT:
            raise ValueError(f"JCS: integer {obj} is not exactly representable as a double")
        out.append(str(obj))
    elif isinstance(obj, float):
        out.append(es6_number(obj))
    elif isinstance(obj, str):
        out.append(_string(obj))
    elif isinstance(obj, dict):
        for key in obj:
            if not isinstance(key, str):
                raise TypeError(f"JCS: object key {key!r} is not a string")
        # RFC 8785 3.2.3: sort by UTF-16 code units; big-endian UTF-16 bytes compare the same way.
        items = sorted(obj.items(), key=lambda kv: kv[0].encode("utf-16-be", "surrogatepass"))
        out.append("{")
        for i, (key, value) in enumerate(items):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value, out)
        out.append("}")
    elif isinstance(obj, list | tuple):
        out.append("[")
        for i, value in enumerate(obj):
            if i:
                out.append(",")
            _write(value, out)
        out.append("]")
    else:
        raise TypeError(f"JCS: cannot serialize {type(obj).__name__}")


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        elif "\ud800" <= ch <= "\udfff":
            raise ValueError("JCS: lone surrogate in string")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def es6_number(value: float) -> str:
    """Format a double the way ECMAScript's Number.prototype.toString does (RFC 8785 3.2.2.3)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("JCS: NaN and Infinity are not JSON numbers")
    if value == 0:
        return "0"  # also for -0
    sign = "-" if value < 0 else ""
    # repr() gives the shortest round-trip digits, as ES6 requires; n = position of the point.
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    stripped = digits.rstrip("0")
    k, n = len(stripped), len(digits) + int(exponent)
    digits = stripped
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        exp = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if exp >= 0 else "-") + str(abs(exp))
    return sign + text
