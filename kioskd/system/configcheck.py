"""TOML tables into frozen dataclasses, checked: types, choices, ranges, formats, unknown keys.

A field's metadata carries its rules (`choices`, `min`/`max`, `pattern`, `url`, `hostport`,
`timezone`, `nonempty`, `item_min`); a problem is a ConfigError naming the file and the key.
The sections themselves are kioskd/config.py.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from typing import Any


class ConfigError(Exception):
    """A configuration problem; str() is the one line shown to the installer."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"config error: {file}: {key}: {problem}")
        self.file, self.key, self.problem = file, key, problem

# Every float key is a time in seconds unless it names its own range: at most 30 days.
MAX_SECONDS = 30 * 24 * 3600.0


def build(cls: type, raw: Any, file: str, prefix: str) -> Any:
    """An instance of the dataclass `cls` from the TOML table `raw` (keys under `prefix`), checked."""
    if not isinstance(raw, dict):
        raise ConfigError(file, prefix.rstrip(".") or "-", "must be a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for key in raw:
        if key not in fields:
            allowed = ", ".join(fields)
            raise ConfigError(file, prefix + key, f"unknown key (allowed here: {allowed})")
    values = {}
    for name, f in fields.items():
        key = prefix + name
        if name not in raw:
            missing = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            if missing:
                raise ConfigError(file, key, "is required")
            continue
        hint = hints[name]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            values[name] = build(hint, raw[name], file, key + ".")
        else:
            values[name] = _check_value(raw[name], hint, f.metadata, file, key)
    return cls(**values)


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is tuple:
        return f"a list of {_type_name(typing.get_args(hint)[0])[2:]}s"
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    return names.get(hint, str(hint))


def _check_value(value: Any, hint: Any, meta: Any, file: str, key: str) -> Any:
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list):
            raise ConfigError(file, key, f"must be {_type_name(hint)}, got {value!r}")
        item_hint = typing.get_args(hint)[0]
        items = [_check_scalar(v, item_hint, {}, file, key) for v in value]
        low = meta.get("item_min")
        if low is not None and any(v < low for v in items):
            raise ConfigError(file, key, f"every item must be >= {low}, got {value!r}")
        return tuple(items)
    return _check_scalar(value, hint, meta, file, key)


def _check_scalar(value: Any, hint: Any, meta: Any, file: str, key: str) -> Any:
    if isinstance(hint, types.UnionType):
        hint = typing.get_args(hint)[0]
    ok = (
        (hint is str and isinstance(value, str))
        or (hint is int and isinstance(value, int) and not isinstance(value, bool))
        or (hint is float and isinstance(value, int | float) and not isinstance(value, bool))
        or (hint is bool and isinstance(value, bool))
    )
    if not ok:
        raise ConfigError(file, key, f"must be {_type_name(hint)}, got {value!r}")
    if hint is float:
        value = float(value)
        # nan passes every comparison and inf outlasts every timer (lockout = nan: no lock-out at all)
        if not math.isfinite(value):
            raise ConfigError(file, key, f"must be a finite number, got {value!r}")
        if meta.get("max") is None and value > MAX_SECONDS:
            raise ConfigError(file, key, f"must be <= {MAX_SECONDS:g} (30 days), got {value!r}")
    check_rules(value, meta, file, key)
    return value


def check_rules(value: Any, meta: Any, file: str, key: str) -> None:
    """Check one value against a field's metadata rules; ConfigError naming `key` if it breaks one."""
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(file, key, f"must be one of {', '.join(choices)}, got {value!r}")
    if meta.get("nonempty") and not value.strip():
        raise ConfigError(file, key, "must not be empty")
    low, high = meta.get("min"), meta.get("max")
    if low is not None and (value <= low if meta.get("exclusive") else value < low):
        relation = ">" if meta.get("exclusive") else ">="
        raise ConfigError(file, key, f"must be {relation} {low}, got {value!r}")
    if high is not None and value > high:
        raise ConfigError(file, key, f"must be <= {high}, got {value!r}")
    if meta.get("url") and not value.startswith(("http://", "https://")) and (value or not meta.get("optional")):
        raise ConfigError(file, key, f"must be an http:// or https:// URL, got {value!r}")
    if meta.get("hostport"):
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) < 65536:  # 0: any free port
            raise ConfigError(file, key, f"must be host:port, got {value!r}")
    if meta.get("pattern") == "ISO 4217 code" and not (len(value) == 3 and value.isupper()):
        raise ConfigError(file, key, f"must be an ISO 4217 code like CNY, got {value!r}")
    if meta.get("pattern") == "phone" and not re.fullmatch(r"[0-9][0-9 ()+-]{0,23}|", value):
        raise ConfigError(file, key, f"must be a phone number like 95598 or 400-800-1234, got {value!r}")
    if meta.get("pattern") == "HH:MM" and not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
        raise ConfigError(file, key, f"must be a local time HH:MM like 23:30, got {value!r}")
    if meta.get("timezone"):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(file, key, f"unknown time zone {value!r}") from None
