"""TOML configuration into frozen dataclasses; unknown keys and bad values are errors.

The keys, types, defaults and units are the contract of docs/spec/customer-flow.md.
A bad file stops start-up with one line naming the file, the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.registry import VALIDATORS
from drivers.statefile import write_file
from kioskd.system.configcheck import ConfigError as ConfigError
from kioskd.system.configcheck import build
from kioskd.system.configcheck import check_rules as check_rules

EXIT_CONFIG = 78  # EX_CONFIG; systemd's RestartPreventExitStatus=78 stops a restart loop
DEFAULT_TZ = "Asia/Shanghai"  # [kiosk] tz when the file names none: what alerts and kioskctl fall back to


def _choice(*allowed: str) -> dict[str, Any]:
    return {"choices": allowed}


def _positive() -> dict[str, Any]:
    return {"min": 0, "exclusive": True}


def _at_least(low: int | float) -> dict[str, Any]:
    return {"min": low}


@dataclass(frozen=True)
class KioskConfig:
    """[kiosk]: identity and language."""

    id: str = field(metadata={"required": True, "nonempty": True})
    name: str = field(metadata={"required": True, "nonempty": True})
    currency: str = field(default="CNY", metadata={"pattern": "ISO 4217 code"})
    locale: str = field(default="zh-CN", metadata=_choice("zh-CN", "en"))
    tz: str = field(default=DEFAULT_TZ, metadata={"timezone": True})
    # shown to the customer on the idle, help and result screens and printed on the receipt
    name_en: str = ""  # the hall's name on the English screen and receipt ("" = `name`)
    hotline: str = field(default="", metadata={"pattern": "phone"})  # service hotline ("" = none)


@dataclass(frozen=True)
class ValidatorConfig:
    """[validator]: the bill validator."""

    port: str = field(metadata={"required": True, "nonempty": True})
    driver: str = field(default="id003", metadata=_choice(*VALIDATORS))
    denominations: tuple[int, ...] = field(default=(), metadata={"item_min": 1})
    poll_interval: float = field(default=0.2, metadata={"min": 0.05, "max": 1.0})
    # notes the cash box holds; stacker_near_full at 90 % (0: not configured)
    box_capacity: int = field(default=0, metadata=_at_least(0))
    # eSSP: AES-128 with a negotiated key on the wire (ssp driver only)
    encrypted: bool = False


@dataclass(frozen=True)
class PrinterConfig:
    """[printer]: the receipt printer."""

    port: str = field(metadata={"required": True, "nonempty": True})
    driver: str = field(default="escpos", metadata=_choice("escpos"))
    transport: str = field(default="serial", metadata=_choice("serial", "usb", "tcp"))
    encoding: str = field(default="gb18030", metadata=_choice("gb18030", "ascii"))
    # What to do when the printer cannot print at idle: keep taking payments with a
    # screen notice and an alert, or refuse payments until it is fixed.
    when_unavailable: str = field(default="notice", metadata=_choice("notice", "unavailable"))
    status_interval: float = field(default=5.0, metadata={"min": 0.1, "max": 60.0})


@dataclass(frozen=True)
class KeypadConfig:
    """[keypad]: the customer's keys."""

    driver: str = field(default="ascii", metadata=_choice("ascii", "evdev", "screen"))
    port: str = ""


@dataclass(frozen=True)
class DoorConfig:
    """[door]: the service-door switch (a GPIO value file); empty path: no switch fitted."""

    path: str = ""
    open_value: str = field(default="1", metadata=_choice("0", "1"))
    poll_interval: float = field(default=0.2, metadata=_positive())
    grace: float = field(default=120.0, metadata=_positive())  # open this long with no custody: alert
    unreadable_out_of_service: bool = True  # a switch that cannot be read: out of service until it reads


@dataclass(frozen=True)
class BackendConfig:
    """[backend]: the operator's billing system."""

    url: str = field(metadata={"required": True, "url": True})
    key_file: str = ""  # empty means <storage.path>/kiosk.key
    timeout: float = field(default=10.0, metadata=_positive())
    unreachable_after: float = field(default=120.0, metadata=_positive())  # failing this long: alert
    # the receipt's QR code opens <receipt_url><proof> on a phone; "" = the QR holds the proof alone
    receipt_url: str = field(default="", metadata={"url": True, "optional": True})
    status_every: float = field(default=60.0, metadata=_positive())  # seconds between status reports
    # out of service while this much money (fen) waits for the backend's credit; 0: no limit
    max_pending: int = field(default=0, metadata={"min": 0})


@dataclass(frozen=True)
class StorageConfig:
    """[storage]: where the journal and the key live."""

    path: str = field(default="/var/lib/kioskd", metadata={"nonempty": True})
    # start-up recomputes the chain's hashes from the last signed checkpoint; true: all of them
    verify_all: bool = False


@dataclass(frozen=True)
class ScreenConfig:
    """[screen]: the customer screen's web server."""

    listen: str = field(default="127.0.0.1:8080", metadata={"hostport": True})
    key_dir: str = ""  # where the per-boot screen secret and start page go; empty: a new secret each start


@dataclass(frozen=True)
class TimeoutsConfig:
    """[timeouts]: seconds each timed state waits for the customer."""

    account: float = field(default=60.0, metadata=_positive())
    confirm: float = field(default=60.0, metadata=_positive())
    cash_idle: float = field(default=60.0, metadata=_positive())
    result: float = field(default=20.0, metadata=_positive())
    receipt: float = field(default=30.0, metadata=_positive())
    help: float = field(default=60.0, metadata=_positive())
    # a stuck note: how long the payment waits for it before the counted notes go without it
    jam_wait: float = field(default=600.0, metadata=_positive())
    # a note in escrow or stacking with no outcome this long is treated as a jam (cause no_progress)
    note_progress: float = field(default=30.0, metadata={"min": 1.0, "max": 600.0})
    # the large-text key multiplies the customer's timeouts by this for the visit
    large_text_factor: float = field(default=2.0, metadata={"min": 1.0, "max": 5.0})


@dataclass(frozen=True)
class LimitsConfig:
    """[limits]: bounds on one payment (fen, notes)."""

    max_payment: int = field(default=500000, metadata=_at_least(1))
    max_notes: int = field(default=50, metadata=_at_least(1))


@dataclass(frozen=True)
class AccountConfig:
    """[account]: the local format check of account numbers."""

    min_length: int = field(default=8, metadata=_at_least(1))
    max_length: int = field(default=16, metadata=_at_least(1))
    check_digit: str = field(default="none", metadata=_choice("none", "luhn"))


@dataclass(frozen=True)
class CustodyConfig:
    """[custody]: the dual-custody cash-box session."""

    login_timeout: float = field(default=120.0, metadata=_positive())
    max_failures: int = field(default=5, metadata=_at_least(1))
    lockout: float = field(default=900.0, metadata=_positive())
    result_timeout: float = field(default=120.0, metadata=_positive())
    result_guard: float = field(default=3.0, metadata={"min": 1.0, "max": 60.0})
    checkpoint_every: float = field(default=3600.0, metadata={"min": 60.0})


@dataclass(frozen=True)
class ControlConfig:
    """[control]: the staff control socket."""

    socket: str = "/run/kioskd/control.sock"
    group: str = ""


@dataclass(frozen=True)
class CloseConfig:
    """[close]: the daily close (日结) at a local time."""

    time: str = field(default="23:30", metadata={"pattern": "HH:MM"})
    print: bool = False
    # the box must be emptied by a custody session every day: box_not_emptied at the close if not
    box_emptied: bool = False


@dataclass(frozen=True)
class StaffPageConfig:
    """[staff_page]: the staff web page (each person logs in with their staff account), off by default."""

    enabled: bool = False
    listen: str = field(default="127.0.0.1", metadata={"nonempty": True})
    port: int = field(default=8081, metadata={"min": 0, "max": 65535})  # 0: any free port
    token: str = ""  # an installer's emergency login (audited, alerted); empty: none; else >= STAFF_TOKEN_MIN
    tls_cert: str = ""  # PEM certificate (chain): with tls_key, the page is served over HTTPS
    tls_key: str = ""  # its PEM private key
    # names and addresses staff type to reach the page (checked against Host, against DNS
    # rebinding); the listen address is always one; needed when listening on 0.0.0.0
    names: tuple[str, ...] = ()


STAFF_TOKEN_MIN = 16


@dataclass(frozen=True)
class CasesConfig:
    """[cases]: what goes wrong with a payment, to the end (差错/投诉)."""

    alert_after: float = field(default=86400.0, metadata=_positive())  # seconds: flagged/pending cash with no case
    contact_retention_days: int = field(default=30, metadata=_at_least(0))  # a phone kept after the case closed
    sweep_every: float = field(default=600.0, metadata={"min": 10.0})  # seconds between those checks


@dataclass(frozen=True)
class PatrolConfig:
    """[patrol]: duty staff's patrols (巡检) during the hall's opening hours."""

    keypad: bool = True  # `finish` at the idle screen starts a check-in on the kiosk's keypad
    every: float = field(default=0.0, metadata=_at_least(0))  # seconds between patrols; 0: no patrol_missed alert
    opens: str = field(default="08:00", metadata={"pattern": "HH:MM"})  # local opening time (kiosk.tz)
    closes: str = field(default="20:00", metadata={"pattern": "HH:MM"})  # local closing time


@dataclass(frozen=True)
class VoiceConfig:
    """[voice]: spoken announcements (唱收唱付) on the kiosk's speaker."""

    enabled: bool = True
    volume: int = field(default=80, metadata={"min": 0, "max": 100})  # percent of full scale
    rate: int = field(default=225, metadata={"min": 80, "max": 400})  # words per minute (espeak-ng -s)
    device: str = "default"  # ALSA PCM (aplay -L lists them); "" plays nowhere (record only)
    cache: str = ""  # rendered clips; "" = <storage.path>/voice
    record: str = ""  # also keep each announcement as WAV + a JSON line here; "" = not kept


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    kiosk: KioskConfig
    validator: ValidatorConfig
    printer: PrinterConfig
    backend: BackendConfig
    keypad: KeypadConfig = KeypadConfig()
    door: DoorConfig = DoorConfig()
    storage: StorageConfig = StorageConfig()
    screen: ScreenConfig = ScreenConfig()
    timeouts: TimeoutsConfig = TimeoutsConfig()
    limits: LimitsConfig = LimitsConfig()
    account: AccountConfig = AccountConfig()
    control: ControlConfig = ControlConfig()
    custody: CustodyConfig = CustodyConfig()
    close: CloseConfig = CloseConfig()
    staff_page: StaffPageConfig = StaffPageConfig()
    voice: VoiceConfig = VoiceConfig()
    cases: CasesConfig = CasesConfig()
    patrol: PatrolConfig = PatrolConfig()
    source: str = field(default="", metadata={"internal": True})

    @property
    def state_dir(self) -> Path:
        """The state directory (journal, key)."""
        return Path(self.storage.path)

    @property
    def key_path(self) -> Path:
        """The kiosk's Ed25519 private key file."""
        return Path(self.backend.key_file) if self.backend.key_file else self.state_dir / "kiosk.key"


def load(path: str | Path) -> Config:
    """Read and check a config file; raise ConfigError naming the key."""
    file = str(path)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(file, "-", "file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(file, "-", f"not valid TOML ({err})") from None
    return from_dict(raw, file)


def from_dict(raw: dict[str, Any], file: str = "<dict>") -> Config:
    """Build a Config from parsed TOML; raise ConfigError naming the key."""
    config = build(Config, raw, file, "")
    config = dataclasses.replace(config, source=file)
    _cross_checks(config, file)
    return config


def _cross_checks(config: Config, file: str) -> None:
    for option, default in (("encrypted", False),):  # [validator] keys only some drivers take
        if getattr(config.validator, option) != default and option not in VALIDATORS[config.validator.driver].options:
            takers = " or ".join(f'"{k.name}"' for k in VALIDATORS.values() if option in k.options)
            raise ConfigError(file, f"validator.{option}", f"is only for validator.driver = {takers}")
    if config.backend.receipt_url and not config.backend.receipt_url.endswith("/"):
        raise ConfigError(file, "backend.receipt_url", "must end with / (the proof is its last path segment)")
    if config.patrol.opens >= config.patrol.closes:
        raise ConfigError(file, "patrol.closes", f"must be after patrol.opens ({config.patrol.opens})")
    if config.account.min_length > config.account.max_length:
        raise ConfigError(file, "account.min_length", "must be <= account.max_length")
    if config.keypad.driver in ("ascii", "evdev") and not config.keypad.port:
        # evdev may find its keypad with udev: "auto" asks for that
        raise ConfigError(file, "keypad.port", f"is required for keypad.driver = {config.keypad.driver!r}")
    if config.printer.transport == "tcp":
        check_rules(config.printer.port, {"hostport": True}, file, "printer.port")
    if config.staff_page.token and len(config.staff_page.token.strip()) < STAFF_TOKEN_MIN:
        raise ConfigError(file, "staff_page.token",
                          f"must be empty (no emergency login) or at least {STAFF_TOKEN_MIN} characters")
    _check_staff_tls(config.staff_page, file)
    screen_port = config.screen.listen.rpartition(":")[2]
    if config.staff_page.enabled and config.staff_page.port and str(config.staff_page.port) == screen_port:
        # the page staff log into must never share the public screen's origin
        raise ConfigError(file, "staff_page.port", f"must differ from the customer screen's port {screen_port}")


def _check_staff_tls(page: StaffPageConfig, file: str) -> None:
    """tls_cert and tls_key go together, and name files that exist."""
    if bool(page.tls_cert) != bool(page.tls_key):
        missing = "staff_page.tls_key" if page.tls_cert else "staff_page.tls_cert"
        raise ConfigError(file, missing, "is required with the other of staff_page.tls_cert / tls_key")
    for key, path in (("staff_page.tls_cert", page.tls_cert), ("staff_page.tls_key", page.tls_key)):
        if page.enabled and path and not Path(path).is_file():
            raise ConfigError(file, key, f"{path}: file not found")


def config_changed(source: str, state_dir: Path) -> tuple[str | None, str] | None:
    """(old, new) SHA-256 of the config file when it differs from the last run's, else None."""
    try:
        digest = hashlib.sha256(Path(source).read_bytes()).hexdigest()
    except OSError:
        return None  # a config built in code (the demo) has no file
    seen = Path(state_dir) / "config.sha256"
    before = seen.read_text(encoding="ascii").strip() if seen.exists() else None
    if before == digest:
        return None
    write_file(seen, (digest + "\n").encode("ascii"))  # durable: else a power cut reads as a change
    return before, digest
