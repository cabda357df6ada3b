"""The simulated kiosk's config for an in-process Daemon: its own state folder, screen port, socket."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kioskd import config as cfg

SIMULATE_TOML = Path(__file__).resolve().parents[2] / "config/simulate.toml"


def sim_config(tmp_path: Path) -> cfg.Config:
    """config/simulate.toml with everything that would clash between tests under `tmp_path`."""
    config = cfg.load(SIMULATE_TOML)
    return dataclasses.replace(
        config, storage=dataclasses.replace(config.storage, path=str(tmp_path / "state")),
        screen=dataclasses.replace(config.screen, listen="127.0.0.1:0"),
        control=dataclasses.replace(config.control, socket=str(tmp_path / "control.sock")),
    )
