"""The driver table (drivers/registry.py) and everything it feeds: config, the CLI, the factory, the simulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drivers.base import BillValidator
from drivers.registry import NAMES, VALIDATORS
from kioskd.__main__ import parse_args
from kioskd.config import ConfigError, from_dict
from kioskd.devices import build_validator
from kioskd.sim.hardware import validator_emulator
from tests.test_layout import ROOT, imports_of


def kiosk(tmp_path: Path, **validator: object) -> dict:
    return {"kiosk": {"id": "K-1", "name": "hall"}, "validator": {"port": "/dev/x", **validator},
            "printer": {"port": "/dev/y"}, "backend": {"url": "http://127.0.0.1:1/"},
            "keypad": {"driver": "screen"}, "storage": {"path": str(tmp_path)}}


@pytest.mark.parametrize("name", NAMES)
def test_each_row_is_a_driver_the_config_the_cli_and_the_simulator_take(tmp_path: Path, name: str) -> None:
    kind = VALIDATORS[name]
    config = from_dict(kiosk(tmp_path, driver=name))
    driver = build_validator(config)
    assert isinstance(driver, BillValidator) and type(driver) is kind.driver_class()
    if kind.state_file:  # what the driver keeps across a crash lives in the state folder
        assert driver.state_path == str(tmp_path / kind.state_file)  # type: ignore[attr-defined]
    assert parse_args(["run", "--validator", name]).validator == name
    emulator = validator_emulator(name)
    assert type(emulator) is kind.emulator_class()
    assert set(emulator.refusals) == {"inhibited", "counterfeit"}  # the contract tests' words


def test_a_name_not_in_the_table_is_refused_with_the_names_it_has(tmp_path: Path, capsys) -> None:
    with pytest.raises(ConfigError) as err:
        from_dict(kiosk(tmp_path, driver="mdb"))
    assert err.value.key == "validator.driver" and all(name in str(err.value) for name in NAMES)
    with pytest.raises(SystemExit):
        parse_args(["run", "--validator", "mdb"])
    assert "invalid choice: 'mdb'" in capsys.readouterr().err


def test_an_option_only_some_drivers_take_is_refused_for_the_others(tmp_path: Path) -> None:
    takers = [name for name in NAMES if "encrypted" in VALIDATORS[name].options]
    assert "ssp" in takers and "id003" not in takers
    from_dict(kiosk(tmp_path, driver="ssp", encrypted=True))
    with pytest.raises(ConfigError) as err:
        from_dict(kiosk(tmp_path, driver="id003", encrypted=True))
    assert err.value.key == "validator.encrypted" and '"ssp"' in str(err.value)


def test_each_protocol_says_whether_it_can_tell_a_note_s_fate_after_a_restart():
    from drivers.registry import VALIDATORS

    said = {name: kind.fate_after_restart for name, kind in VALIDATORS.items()}
    # SSP needs POLL WITH ACK or GET COUNTERS (older NV9 firmware has neither); ID-003 and CCNET
    # repeat an unacknowledged credit, ccTalk numbers its events
    assert (said["ssp"], said["id003"], said["ccnet"], said["cctalk"]) == ("if_device_can", *["always"] * 3)
    assert set(said.values()) <= {"always", "if_device_can"}
    for kind in VALIDATORS.values():
        overrides = "fate_known" in vars(kind.driver_class())
        assert overrides == (kind.fate_after_restart == "if_device_can"), kind.name


def test_the_code_overview_names_every_reader_of_the_table() -> None:
    """A fifth protocol edits no reader: docs/code-overview.md names them all, and only them
    (a test may read the table through the contract test's)."""
    doc = (ROOT / "docs" / "code-overview.md").read_text(encoding="utf-8")
    table = doc.split("| reads the table |", 1)[1].split("\n\n", 1)[0]
    named = {path for row in table.splitlines()[2:] for path in re.findall(r"`([\w/]+\.py)`", row.split("|")[1])}
    readers = {
        str(path.relative_to(ROOT))
        for package in ("kioskd", "drivers", "bench", "refbackend", "tests")
        for path in (ROOT / package).rglob("*.py")
        if {"drivers.registry", "tests.test_validator_contract"} & imports_of(path)
        and path != ROOT / "tests" / "test_layout.py"
    }
    assert readers == named
