"""The unit files pass systemd-analyze, and install.sh stages everything under DESTDIR."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "systemd"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is absent (package systemd; .ci/run installs it)"
)
INSTALLED_KIOSKD = "/opt/kioskd/venv/bin/kioskd"


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    return subprocess.run([ANALYZE, *args], capture_output=True, text=True, timeout=60)


def staged_unit(tmp_path: Path) -> Path:
    """kioskd.service with ExecStart pointing at a stand-in for the installed venv's script.

    verify checks that the command exists; the real one only exists after `make install`.
    """
    stub = tmp_path / "opt/kioskd/venv/bin/kioskd"
    stub.parent.mkdir(parents=True)
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    text = (UNITS / "kioskd.service").read_text()
    assert INSTALLED_KIOSKD in text
    unit = tmp_path / "kioskd.service"
    unit.write_text(text.replace(INSTALLED_KIOSKD, str(stub)))
    return unit


@needs_analyze
def test_kioskd_service_verifies_clean(tmp_path: Path) -> None:
    result = analyze("verify", "--man=no", str(staged_unit(tmp_path)))
    assert result.returncode == 0 and result.stderr == "", result.stderr


@needs_analyze
@pytest.mark.skipif(not shutil.which("cage"), reason="cage is absent (.ci/run installs it)")
def test_screen_service_verifies_clean() -> None:
    result = analyze("verify", "--man=no", str(UNITS / "kioskd-screen.service"))
    assert result.returncode == 0 and result.stderr == "", result.stderr


@needs_analyze
def test_kioskd_service_exposure_is_at_most_2() -> None:
    result = analyze("security", "--offline=true", "--threshold=20", str(UNITS / "kioskd.service"))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    level = re.search(r"Overall exposure level for kioskd.service: (\d+\.\d)", result.stdout)
    assert level is not None and float(level.group(1)) <= 2.0, result.stdout[-400:]


def unit_settings(name: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_service_contract() -> None:
    """What the daemon and the architecture rely on: notify, watchdog, exit 78, stop grace."""
    from kioskd.app import STOP_GRACE

    s = unit_settings("kioskd.service")
    assert s["Type"] == ["notify"] and s["RestartPreventExitStatus"] == ["78"]
    assert int(s["WatchdogSec"][0]) >= 10
    # the payment in progress gets STOP_GRACE; closing the journal and screen need the rest
    assert int(s["TimeoutStopSec"][0]) >= STOP_GRACE + 10
    assert s["DevicePolicy"] == ["closed"]
    assert s["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6 AF_NETLINK"]
    assert set(s["SupplementaryGroups"][0].split()) >= {"dialout", "lp", "audio"}
    # the default config's paths are inside the unit's writable directories
    config = tomllib.loads((ROOT / "config/kioskd.toml").read_text())
    assert config["storage"]["path"] == "/var/lib/" + s["StateDirectory"][0]
    assert Path(config["control"]["socket"]).parent == Path("/run") / s["RuntimeDirectory"][0]


def test_udev_rules_give_the_configured_device_names() -> None:
    rules = (UNITS / "70-kioskd.rules").read_text()
    config = tomllib.loads((ROOT / "config/kioskd.toml").read_text())
    for device in ("validator", "printer", "keypad"):
        link = Path(config[device]["port"]).name
        assert f'SYMLINK+="{link}"' in rules, device
    for line in rules.splitlines():
        if line and not line.startswith("#"):
            assert "GROUP=" in line and 'MODE="0660"' in line, line


def test_sysusers_creates_the_user_in_the_device_groups(tmp_path: Path) -> None:
    tool = shutil.which("systemd-sysusers")
    if tool is None:
        pytest.skip("systemd-sysusers is absent (package systemd)")
    (tmp_path / "etc").mkdir()
    result = subprocess.run([tool, "--root", str(tmp_path), str(UNITS / "kioskd.sysusers")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    groups = {line.split(":")[0]: line.split(":")[3].split(",")
              for line in (tmp_path / "etc/group").read_text().splitlines()}
    assert all("kioskd" in groups[g] for g in ("dialout", "lp", "audio"))
    passwd = (tmp_path / "etc/passwd").read_text()
    assert re.search(r"^kioskd:x:\d+:\d+:.*:/var/lib/kioskd:/usr/sbin/nologin$", passwd, re.M)


def run_install(destdir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESTDIR": str(destdir), "SKIP_VENV": "1"}
    return subprocess.run(["make", "-s", "install"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_install_stages_units_rules_and_config_and_keeps_an_edited_config(tmp_path: Path) -> None:
    dest = tmp_path / "root"
    result = run_install(dest)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in ("usr/lib/systemd/system/kioskd.service", "usr/lib/systemd/system/kioskd-screen.service",
                 "usr/lib/sysusers.d/kioskd.conf", "usr/lib/tmpfiles.d/kioskd.conf",
                 "usr/lib/udev/rules.d/70-kioskd.rules", "usr/lib/modules-load.d/kioskd.conf"):
        assert (dest / path).is_file(), path
    config = dest / "etc/kioskd/kioskd.toml"
    assert config.read_text() == (ROOT / "config/kioskd.toml").read_text()
    assert config.stat().st_mode & 0o777 == 0o640  # it names the backend; not world-readable
    modules = (dest / "usr/lib/modules-load.d/kioskd.conf").read_text().split()
    assert {"usbserial", "ftdi_sio", "pl2303", "cp210x", "usblp"} <= set(modules)

    config.write_text(config.read_text().replace('id = "K-0001"', 'id = "K-0042"'))
    again = run_install(dest)
    assert again.returncode == 0, again.stderr
    assert 'id = "K-0042"' in config.read_text()
    assert "kioskd.toml exists: kept" in again.stdout
