"""Build the device drivers the config names."""

from __future__ import annotations

from typing import Any

from drivers.base import BillValidator, DoorSensor, Keypad, ReceiptPrinter
from drivers.registry import VALIDATORS
from kioskd.config import Config


class NoKeypad:
    """keypad.driver = "screen": the on-screen keypad is the only one."""

    name = "keypad"

    async def run(self, sink: object) -> None:
        """Nothing to read: screen keys come in through the screen server."""
        import asyncio

        await asyncio.Event().wait()


def build_validator(config: Config) -> BillValidator:
    """The bill validator driver for [validator], from the driver table (drivers/registry.py)."""
    v = config.validator
    kind = VALIDATORS[v.driver]  # config.py refused any other name
    options: dict[str, Any] = {option: getattr(v, option) for option in kind.options}
    if kind.state_file:
        # what the driver keeps across a crash (SSP: the stacked count as of the last commit;
        # ccTalk: the last event counter read), so a credit is neither lost nor taken twice
        options["state_path"] = str(config.state_dir / kind.state_file)
    return kind.driver_class()(v.port, poll_interval=v.poll_interval, denominations=v.denominations or None,
                               **options)


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
