"""Config: defaults, the shipped files, and one clear line for every bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kioskd import config

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = """
[kiosk]
id = "K-1"
name = "Hall"
[validator]
port = "/dev/ttyUSB0"
[printer]
port = "/dev/ttyUSB1"
[keypad]
driver = "screen"
[backend]
url = "http://127.0.0.1:8700/"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kioskd.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_example_and_the_simulation_config_load() -> None:
    example = config.load(ROOT / "config" / "kioskd.toml")
    assert example.validator.driver == "id003" and example.limits.max_payment == 500000
    sim = config.load(ROOT / "config" / "simulate.toml")
    assert sim.keypad.driver == "screen"


def test_defaults_follow_the_customer_flow_contract(tmp_path: Path) -> None:
    c = config.load(write(tmp_path, MINIMAL))
    assert (c.kiosk.currency, c.kiosk.locale) == ("CNY", "zh-CN")
    assert (c.validator.driver, c.validator.poll_interval, c.validator.denominations) == ("id003", 0.2, ())
    assert (c.printer.driver, c.printer.transport, c.printer.encoding) == ("escpos", "serial", "gb18030")
    assert (c.backend.timeout, c.storage.path, c.screen.listen) == (10.0, "/var/lib/kioskd", "127.0.0.1:8080")
    t = c.timeouts
    assert (t.account, t.confirm, t.cash_idle, t.result, t.receipt) == (60, 60, 60, 20, 30)
    assert (t.jam_wait, t.note_progress) == (600, 30)
    assert (c.limits.max_payment, c.limits.max_notes) == (500000, 50)
    assert (c.account.min_length, c.account.max_length, c.account.check_digit) == (8, 16, "none")
    assert c.key_path == Path("/var/lib/kioskd/kiosk.key")


@pytest.mark.parametrize(
    "patch,key,words",
    [
        ("[timeouts]\ncash_idle = -5", "timeouts.cash_idle", "must be > 0"),
        ("[timeouts]\nnote_progress = 0.5", "timeouts.note_progress", "must be >= 1.0"),
        ("[timeouts]\nnote_progress = 601", "timeouts.note_progress", "must be <= 600.0"),
        ("[timeouts]\nnote_progress = \"30\"", "timeouts.note_progress", "must be a number"),
        ("[timeouts]\naccount = \"60\"", "timeouts.account", "must be a number"),
        ("[limits]\nmax_payment = 12.5", "limits.max_payment", "must be an integer"),
        ("[limits]\nmax_notes = 0", "limits.max_notes", "must be >= 1"),
        ("[screen]\nlisten = \"localhost\"", "screen.listen", "host:port"),
        ("[storage]\npath = \"\"", "storage.path", "must not be empty"),
        ("[account]\ncheck_digit = \"mod97\"", "account.check_digit", "one of none, luhn"),
        ("[account]\nmin_length = 20", "account.min_length", "account.max_length"),
        ("[surprise]\nx = 1", "surprise", "unknown key"),
    ],
)
def test_bad_values_name_the_file_and_the_key(tmp_path: Path, patch: str, key: str, words: str) -> None:
    path = write(tmp_path, MINIMAL + patch + "\n")
    with pytest.raises(config.ConfigError) as err:
        config.load(path)
    line = str(err.value)
    assert "\n" not in line
    assert line.startswith(f"config error: {path}: {key}: "), line
    assert words in line


@pytest.mark.parametrize(
    "old,new,key",
    [
        ('driver = "screen"', 'driver = "numpad"', "keypad.driver"),
        ('port = "/dev/ttyUSB0"', 'port = "/dev/ttyUSB0"\ndriver = "mdb"', "validator.driver"),
        ('port = "/dev/ttyUSB1"', 'port = "/dev/ttyUSB1"\ntransport = "bluetooth"', "printer.transport"),
        ('url = "http://127.0.0.1:8700/"', 'url = "ftp://x"', "backend.url"),
        ('id = "K-1"\n', "", "kiosk.id"),
        ('name = "Hall"', 'name = "Hall"\nlocale = "fr"', "kiosk.locale"),
        ('name = "Hall"', 'name = "Hall"\ntz = "Mars/Olympus"', "kiosk.tz"),
        ('[keypad]\ndriver = "screen"', '[keypad]\ndriver = "ascii"', "keypad.port"),
        ('port = "/dev/ttyUSB0"', 'port = "/dev/ttyUSB0"\nencrypted = true', "validator.encrypted"),
    ],
)
def test_wrong_driver_names_and_missing_keys_are_refused(tmp_path: Path, old: str, new: str, key: str) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.load(write(tmp_path, MINIMAL.replace(old, new)))
    assert f": {key}: " in str(err.value)


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(write(tmp_path, "[kiosk\n"))
    with pytest.raises(config.ConfigError, match="file not found"):
        config.load(tmp_path / "absent.toml")


def test_a_changed_config_file_is_noticed_once(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    first = config.config_changed(str(path), tmp_path)
    assert first is not None and first[0] is None  # first run: recorded, nothing before
    assert config.config_changed(str(path), tmp_path) is None
    path.write_text(MINIMAL + "[limits]\nmax_notes = 20\n", encoding="utf-8")
    before, after = config.config_changed(str(path), tmp_path)
    assert before == first[1] and after != before


@pytest.mark.parametrize("section,key", [("custody", "lockout"), ("timeouts", "account"), ("door", "grace"),
                                         ("custody", "result_timeout"), ("custody", "checkpoint_every"),
                                         ("timeouts", "note_progress")])
@pytest.mark.parametrize("number", ["nan", "inf", "-inf", "1e308"])
def test_every_number_is_finite_and_within_its_range(tmp_path: Path, section: str, key: str, number: str) -> None:
    # with lockout = nan the PIN lock-out never ends its count: unlimited guessing
    path = write(tmp_path, MINIMAL + f"[{section}]\n{key} = {number}\n")
    with pytest.raises(config.ConfigError) as err:
        config.load(path)
    assert str(err.value).startswith(f"config error: {path}: {section}.{key}:")


def test_kioskd_run_exits_78_on_a_lockout_of_nan(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[custody]\nlockout = nan\n")
    run = subprocess.run([sys.executable, "-m", "kioskd", "run", "--config", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 78
    assert run.stderr.strip().splitlines() == [f"config error: {path}: custody.lockout: must be a finite number, got nan"]


def test_kioskd_run_exits_78_on_a_note_progress_of_inf(tmp_path: Path) -> None:
    # with note_progress = inf a note held in stacking would keep the customer waiting for ever
    path = write(tmp_path, MINIMAL + "[timeouts]\nnote_progress = inf\n")
    run = subprocess.run([sys.executable, "-m", "kioskd", "run", "--config", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 78
    assert run.stderr.strip().splitlines() == [
        f"config error: {path}: timeouts.note_progress: must be a finite number, got inf"]
