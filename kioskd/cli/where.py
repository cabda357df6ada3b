"""Where kioskctl finds its kiosk: one config, read the same way by every subcommand.

The config is `--config FILE`, else `$KIOSKD_CONFIG`, else the installed
/etc/kioskd/kioskd.toml, else (in a checkout) the config/simulate.toml that `make run`
uses, else none (the packaged defaults). The control socket, state folder and key are
read from it; `--socket` and `--state` override them, before or after the subcommand.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from kioskd import config as cfg

ENV_CONFIG = "KIOSKD_CONFIG"
INSTALLED_CONFIG = Path("/etc/kioskd/kioskd.toml")
CHECKOUT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "simulate.toml"
SOCKET_NAME = "control.sock"  # a simulated kiosk keeps its socket in its state folder
# how the config was chosen (Target.found_by), in zh-CN and en, for one-line errors
FOUND_BY: dict[str, tuple[str, str]] = {
    "given": ("--config {path}", "--config {path}"),
    "env": (f"${ENV_CONFIG}={{path}}", f"${ENV_CONFIG}={{path}}"),
    "installed": ("{path}（已安装的配置）", "{path}, the installed config"),
    "checkout": ("{path}（`make run` 启动的模拟终端的配置）", "{path}, the simulated kiosk `make run` starts"),
    "none": ("无配置文件：{path} 不存在", "no config: {path} does not exist"),
}


@dataclass(frozen=True)
class Target:
    """The kiosk a kioskctl command acts on, and how it was found (for error lines)."""

    config: Path | None
    found_by: str  # a key of FOUND_BY
    socket: str
    state: Path
    key: Path
    loaded: cfg.Config | None = None  # the config file's contents (None: no file)

    def describe(self, lang: str = "en") -> str:
        """Which config was read and why, for one-line errors in `lang` (zh-CN or en)."""
        zh, en = FOUND_BY[self.found_by if self.config is not None else "none"]
        return (zh if lang == "zh-CN" else en).format(path=self.config or INSTALLED_CONFIG)


def add_place_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """--config/--socket/--state on `parser`; below the top they only override when given."""
    default = None if top else argparse.SUPPRESS
    known = parser._option_string_actions
    if "--config" not in known:
        parser.add_argument("--config", type=Path, default=default,
                            help=f"kioskd config file (default: ${ENV_CONFIG}, else {INSTALLED_CONFIG})")
    if "--socket" not in known:
        parser.add_argument("--socket", default=default, help="control socket (default: the config's [control] socket)")
    if "--state" not in known:
        parser.add_argument("--state", type=Path, default=default,
                            help="state folder: journal and key (default: the config's [storage] path)")


def add_everywhere(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand (at every depth) the place options, so they may follow it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                add_place_options(sub, top=False)
                add_everywhere(sub)


def config_path(given: Path | None) -> tuple[Path | None, str]:
    """The config file kioskctl reads, and how it was chosen (a key of FOUND_BY)."""
    if given is not None:
        return given, "given"
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG]), "env"
    if INSTALLED_CONFIG.exists():
        return INSTALLED_CONFIG, "installed"
    if CHECKOUT_CONFIG.exists():
        return CHECKOUT_CONFIG, "checkout"
    return None, "none"


def resolve(args: argparse.Namespace) -> Target:
    """The kiosk the command line names; raises cfg.ConfigError (one line) on a bad config."""
    path, found_by = config_path(getattr(args, "config", None))
    config = _load(path) if path is not None else None
    state = getattr(args, "state", None) or (config.state_dir if config else Path(cfg.StorageConfig().path))
    socket = getattr(args, "socket", None)
    if not socket:
        beside_state = Path(state) / SOCKET_NAME
        if getattr(args, "state", None) and beside_state.exists():
            socket = str(beside_state)  # `--state DIR` of a simulated kiosk names its socket too
        else:
            socket = config.control.socket if config else cfg.ControlConfig().socket
    if config is None or not config.backend.key_file:
        key = Path(state) / "kiosk.key"
    else:
        key = config.key_path
    return Target(path, found_by, socket, Path(state), key, config)


def _load(path: Path) -> cfg.Config:
    try:
        return cfg.load(path)
    except PermissionError as err:
        raise cfg.ConfigError(str(path), "-", f"cannot read it ({err.strerror}): run kioskctl as a "
                              "member of the kioskd group, or name the folder with --state DIR") from None


def kioskctl_line(program: str, config: cfg.Config, *, socket: str) -> str:
    """The shortest kioskctl command line that reaches a daemon run with `config`."""
    flags: list[str] = []

    def current() -> Target:
        return resolve(argparse.Namespace(**_flag_values(flags)))

    if config.source and not _same(config_path(None)[0], Path(config.source)):
        flags += ["--config", str(Path(config.source).resolve())]
    if not _same(current().state, config.state_dir):
        flags += ["--state", str(config.state_dir)]
    if not _same(Path(current().socket), Path(socket)):
        flags += ["--socket", socket]
    return " ".join([program, *flags, "status"])


def _flag_values(flags: list[str]) -> dict[str, object]:
    values: dict[str, object] = {"config": None, "state": None, "socket": None}
    for name, value in zip(flags[::2], flags[1::2], strict=True):
        values[name.lstrip("-")] = value if name == "--socket" else Path(value)
    return values


def _same(a: Path | None, b: Path) -> bool:
    return a is not None and a.resolve() == b.resolve()


def unreachable(target: Target, err: Exception, lang: str = "en") -> str:
    """One line for a control socket kioskctl cannot use, in `lang`: the path tried, and how to name another."""
    tried = Path(target.socket).absolute()
    said = getattr(err, "zh", None) if lang == "zh-CN" else None
    said = said or str(err)
    if target.config == CHECKOUT_CONFIG and not Path(target.socket).is_absolute() and \
            Path.cwd() != CHECKOUT_CONFIG.parents[1]:
        if lang == "zh-CN":
            return (f"{said} [已尝试 {tried}]：`make run` 的模拟终端在源码目录中，请在 {CHECKOUT_CONFIG.parents[1]} "
                    "运行 kioskctl，或用 --config 配置文件 或 --socket 路径 指定")
        return (f"{said} [tried {tried}]: `make run` keeps its kiosk in the "
                f"checkout, run kioskctl from {CHECKOUT_CONFIG.parents[1]}, or give --config FILE or --socket PATH")
    if lang == "zh-CN":
        return (f"{said} [已尝试 {tried}，依据 {target.describe(lang)}]；其他终端请指定其配置（--config 配置文件 或 "
                f"${ENV_CONFIG}）或其套接字（--socket 路径）；`make run` 会显示其终端的 kioskctl 命令")
    return (f"{said} [tried {tried}, from {target.describe()}]; for another "
            f"kiosk give its config (--config FILE or ${ENV_CONFIG}) or its socket (--socket PATH); "
            "`make run` prints the kioskctl line for its kiosk")
