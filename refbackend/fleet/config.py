"""[fleet] configuration of the operator's side (docs/spec/fleet.md); bad keys name file and key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class FleetConfigError(ValueError):
    """A bad configuration file: one line naming the file and the key."""


@dataclass(frozen=True)
class FleetConfig:
    """What the operator's view, exports and collection list need to know."""

    timezone: str = "Asia/Shanghai"
    silent_after: float = 900.0  # seconds
    box_alert_at: float = 0.9  # fill, 0-1
    collect_at: float = 0.8  # fill, 0-1
    rate_days: int = 7
    empty_daily: tuple[str, ...] = field(default_factory=tuple)

    @property
    def zone(self) -> ZoneInfo:
        """The halls' time zone."""
        return ZoneInfo(self.timezone)


HALLS_ZONE = FleetConfig().zone  # the halls' day where no [fleet] timezone is given


def _check(name: str, value: Any) -> Any:
    if name == "timezone":
        if not isinstance(value, str):
            raise ValueError("a time zone name required")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r}") from err
        return value
    if name == "silent_after":
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError("seconds > 0 required")
        return float(value)
    if name in ("box_alert_at", "collect_at"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise ValueError("a fill between 0 and 1 required")
        return float(value)
    if name == "rate_days":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 90:
            raise ValueError("whole days 1-90 required")
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("a list of hall ids required")
    return tuple(value)


def load_fleet_config(path: Path | None) -> FleetConfig:
    """The [fleet] table of a TOML file (None: the defaults)."""
    if path is None:
        return FleetConfig()
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise FleetConfigError(f"{path}: {err}") from err
    unknown = [k for k in data if k != "fleet"]
    if unknown:
        raise FleetConfigError(f"{path}: unknown table or key {unknown[0]!r}")
    table = data.get("fleet", {})
    names = {f.name for f in fields(FleetConfig)}
    values = {}
    for key, value in table.items():
        if key not in names:
            raise FleetConfigError(f"{path}: fleet.{key}: unknown key")
        try:
            values[key] = _check(key, value)
        except ValueError as err:
            raise FleetConfigError(f"{path}: fleet.{key}: {err}") from err
    return FleetConfig(**values)
