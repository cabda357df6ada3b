"""The bill-validator driver table: the one place a protocol is named.

Read by config validation (`validator.driver` and the options each driver takes),
`kioskd run --validator`, the device factory (kioskd/devices.py), the simulator
(kioskd/sim/hardware.py) and the contract tests (tests/test_validator_contract.py). A new
protocol is a row here plus its own files: codec, driver, emulator.
Classes are named, not imported, so a kiosk loads only the driver it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # named in hints only: config validation reads this table without the driver classes
    from drivers.base import BillValidator


@dataclass(frozen=True)
class ValidatorKind:
    """One protocol: its driver, its emulator, and what the daemon hands the driver."""

    name: str  # [validator] driver = "..."
    title: str  # for people: the protocol and the devices that speak it
    driver: str  # "module:Class", a drivers.base.BillValidator
    emulator: str  # "module:Class", the device emulated on a pty (simulator, tests)
    options: tuple[str, ...] = ()  # [validator] keys the driver takes besides port, rate, notes
    # a file in the state folder where the driver keeps what must survive a crash (None: nothing)
    state_file: str | None = None
    # the device's acknowledgement of a credit may come after it reports the note stacked
    # (CCNET: STACKED is the credit point; ccTalk: the next event read acknowledges)
    acked_after_stacked: bool = False
    frames: str = "frames"  # what the driver's errors call the protocol's frames
    # Can the driver tell, after the host restarts, whether the note it was stacking reached the
    # box? "always": the device repeats an unacknowledged credit (ID-003 VEND VALID, CCNET
    # STACKED) or numbers its events (ccTalk). "if_device_can": only with a device feature the
    # driver checks at each initialisation (SSP: POLL WITH ACK, or GET COUNTERS with its state
    # file; older NV9 firmware has neither); when it cannot, its DeviceOnline says
    # fate_known=False and the journal's open stack intent becomes an in-doubt note.
    fate_after_restart: str = "always"

    def driver_class(self) -> Callable[..., BillValidator]:
        """The driver class (imported now): called with the port, the shared Settings and `options`."""
        driver: Callable[..., BillValidator] = _load(self.driver)
        return driver

    def emulator_class(self) -> Any:
        """The emulator class (imported now)."""
        return _load(self.emulator)


_V = "drivers.validator"
VALIDATORS: dict[str, ValidatorKind] = {
    kind.name: kind for kind in (
        ValidatorKind("id003", "JCM ID-003", f"{_V}.id003_device:Id003Validator",
                      f"{_V}.emulators.id003_emu:Id003Emulator"),
        ValidatorKind("ssp", "ITL SSP / eSSP (NV9, NV10, NV200)", f"{_V}.ssp_device:SspValidator",
                      f"{_V}.emulators.ssp_emu:SspEmulator", options=("encrypted",),
                      state_file="validator-ssp.json", frames="packets",
                      fate_after_restart="if_device_can"),
        ValidatorKind("ccnet", "CashCode CCNET", f"{_V}.ccnet_device:CcnetValidator",
                      f"{_V}.emulators.ccnet_emu:CcnetEmulator", acked_after_stacked=True),
        ValidatorKind("cctalk", "ccTalk bill validator (address 40)", f"{_V}.cctalk_device:CctalkValidator",
                      f"{_V}.emulators.cctalk_emu:CctalkEmulator", state_file="validator-cctalk.json",
                      acked_after_stacked=True),
    )
}
NAMES = tuple(VALIDATORS)  # config's choices, in the table's order


def _load(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)
