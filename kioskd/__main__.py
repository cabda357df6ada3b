"""`kioskd run` and `kioskd demo`: the daemon's command line (exit 78 = config error)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from drivers.registry import NAMES
from kioskd import config as cfg
from kioskd.system import logs, memtrace

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
INSTALLED_CONFIG = Path(sys.prefix) / "share" / "kioskd"  # pyproject's data-files, in a venv


def simulate_config() -> Path:
    """config/simulate.toml of a checkout, else the copy installed beside the venv."""
    in_repo = REPO_CONFIG / "simulate.toml"
    return in_repo if in_repo.exists() else INSTALLED_CONFIG / "simulate.toml"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="kioskd", description="Self-service cash payment kiosk daemon")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the kiosk")
    run.add_argument("--config", type=Path, help="config file (default /etc/kioskd/kioskd.toml)")
    run.add_argument("--simulate", action="store_true", help="simulated validator, printer and backend")
    run.add_argument("--state", type=Path, help="override [storage] path")
    run.add_argument("--listen", help="override [screen] listen (host:port)")
    run.add_argument("--validator", choices=NAMES,
                     help="override [validator] driver (with --simulate: which emulator)")
    run.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    demo = sub.add_parser("demo", help="a scripted customer pays one bill at a simulated kiosk")
    demo.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def load_config(args: argparse.Namespace) -> cfg.Config:
    """The config the command line names, with its overrides applied."""
    default = simulate_config() if args.simulate else Path("/etc/kioskd/kioskd.toml")
    config = cfg.load(args.config or default)
    if args.state:
        config = dataclasses.replace(config, storage=dataclasses.replace(config.storage, path=str(args.state)))
    if args.validator:
        config = dataclasses.replace(config, validator=dataclasses.replace(config.validator, driver=args.validator))
    if args.listen:
        cfg.check_rules(args.listen, {"hostport": True}, "--listen", "screen.listen")
        config = dataclasses.replace(config, screen=dataclasses.replace(config.screen, listen=args.listen))
    return config


async def run_until_signal(coro: Coroutine[Any, Any, None], stop: asyncio.Event | None = None) -> None:
    """Run `coro`; the first SIGTERM/SIGINT sets `stop` (a graceful stop), the next cancels."""
    task = asyncio.ensure_future(coro)
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop is not None and not stop.is_set():
            stop.set()
        else:
            task.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    if memtrace.start():  # opt-in (KIOSKD_MEMTRACE_DIR): soaks ask for snapshots with SIGUSR2
        loop.add_signal_handler(signal.SIGUSR2, memtrace.dump)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `kioskd` console script."""
    args = parse_args(argv)
    repeats = logs.setup(args.verbose)
    try:
        return _run(args)
    finally:
        repeats.flush()  # the counts of warnings still being counted


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from kioskd.sim.demo import demo

        return asyncio.run(demo())
    try:
        config = load_config(args)
    except cfg.ConfigError as err:
        print(err, file=sys.stderr)
        return cfg.EXIT_CONFIG
    from backend_api.serving import PortInUse
    from kioskd.ledger import StorageError
    from kioskd.runner import serve
    from kioskd.uplink.errors import KeyFileError
    from kioskd.uplink.keys import load_key

    try:
        if not args.simulate:  # (a simulated kiosk makes its own key) checked before any device is touched
            load_key(config.key_path)
        stop = asyncio.Event()
        asyncio.run(run_until_signal(serve(config, simulate=args.simulate, stop=stop), stop))
    except (KeyFileError, StorageError, PortInUse) as err:
        print(f"kioskd: {err}", file=sys.stderr)
        return cfg.EXIT_CONFIG if isinstance(err, KeyFileError) else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
