"""Build the device drivers the config names."""

from __future__ import annotations

from drivers.base import BillValidator, DoorSensor, Keypad, ReceiptPrinter
from kioskd.config import Config


class NoKeypad:
    """keypad.driver = "screen": the on-screen keypad is the only one."""

    name = "keypad"

    async def run(self, sink: object) -> None:
        """Nothing to read: screen keys come in through the screen server."""
        import asyncio

        await asyncio.Event().wait()


def build_validator(config: Config) -> BillValidator:
    """The bill validator driver for [validator]."""
    v = config.validator
    common = {"poll_interval": v.poll_interval, "denominations": v.denominations or None}
    if v.driver == "id003":
        from drivers.validator.id003_device import Id003Validator

        return Id003Validator(v.port, **common)
    if v.driver == "ssp":
        from drivers.validator.ssp_device import SspValidator

        # the device's stacked count as of the last commit, so a credit lost to a crash is found
        state = config.state_dir / "validator-ssp.json"
        return SspValidator(v.port, encrypted=v.encrypted, state_path=str(state), **common)
    if v.driver == "ccnet":
        from drivers.validator.ccnet_device import CcnetValidator

        return CcnetValidator(v.port, **common)
    if v.driver == "cctalk":
        from drivers.validator.cctalk_device import CctalkValidator

        # the last event counter read, so a credit already journalled is not taken twice
        state = config.state_dir / "validator-cctalk.json"
        return CctalkValidator(v.port, state_path=str(state), **common)
    raise ValueError(f"unknown validator.driver {v.driver!r}")  # config.py refuses it first


def build_printer(config: Config) -> ReceiptPrinter:
    """The receipt printer driver for [printer]."""
    from drivers.printer.escpos import EscposPrinter

    p = config.printer
    return EscposPrinter(p.port, transport=p.transport, status_interval=p.status_interval)


def build_keypad(config: Config) -> Keypad:
    """The hardware keypad for [keypad] (the screen's keys arrive separately)."""
    k = config.keypad
    if k.driver == "ascii":
        from drivers.keypad.ascii import AsciiKeypad

        return AsciiKeypad(k.port)
    if k.driver == "evdev":
        from drivers.keypad.evdev import EvdevKeypad

        return EvdevKeypad(None if k.port == "auto" else k.port)
    return NoKeypad()


def build_door(config: Config) -> DoorSensor | None:
    """The service-door switch for [door], or None when none is fitted."""
    d = config.door
    if not d.path:
        return None
    from drivers.door import DoorSwitch

    return DoorSwitch(d.path, open_value=d.open_value, poll_interval=d.poll_interval)
