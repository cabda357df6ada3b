"""How the daemon starts the registers: the handover record's printing, the patrol watch, the box check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from kioskd.custody.handover import handover_lines
from kioskd.customer.receipts.layout import render_lines, send_when_ready
from kioskd.hall.registers.boxcheck import check_box_emptied
from kioskd.hall.registers.differences import Differences
from kioskd.hall.registers.keys import KeyRegister
from kioskd.hall.registers.patrol import Patrols
from kioskd.hall.registers.patrol_desk import MaintenanceDesk, PatrolDesk

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from drivers.base import ReceiptPrinter
    from kioskd.config import Config
    from kioskd.custody.session import Custody
    from kioskd.hall.accounts import Accounts
    from kioskd.hall.alerts import Alerts
    from kioskd.ledger import Ledger
    from statemachine.model import KioskModel


@dataclass
class Registers:
    """The registers' services the control commands use."""

    differences: Differences
    keys: KeyRegister
    patrols: Patrols
    printer: ReceiptPrinter
    encoding: str

    async def print_lines(self, lines: list[str], job: str) -> bool:
        """Print register lines on the receipt printer; False when it is not ready."""
        return await send_when_ready(self.printer, render_lines(lines, encoding=self.encoding), job)


def start_registers(*, ledger: Ledger, alerts: Alerts, printer: ReceiptPrinter, config: Config,
                    custody: Custody, model: KioskModel, accounts: Accounts,
                    spawn: Callable[[Coroutine[Any, Any, object], str], object]) -> Registers:
    """The daemon's registers: the custody session prints its handover record through them (in the
    screen's language unless the printer has ASCII only); with [patrol] keypad the maintenance
    display also takes patrol check-ins (`finish` at the idle screen)."""
    c = config
    registers = Registers(Differences(ledger, c.kiosk.tz), KeyRegister(ledger),
                          Patrols(ledger, alerts, c.patrol, c.kiosk.tz), printer, c.printer.encoding)

    async def print_handover(record: dict[str, Any], digest: str) -> None:
        language = "en" if c.printer.encoding == "ascii" else model.locale
        if not await registers.print_lines(handover_lines(record, digest, language, c.kiosk.tz),
                                           f"handover record {record['box_id']}"):
            raise RuntimeError("the printer is not ready")

    custody.on_handover = print_handover
    if c.patrol.keypad:
        desk = PatrolDesk(registers.patrols, accounts, model, timeout=c.custody.login_timeout,
                          guard=c.custody.result_guard, result_timeout=c.custody.result_timeout,
                          custody_busy=lambda: custody.busy)
        model.attach_custody(MaintenanceDesk(custody, desk))
        custody.make_way = desk.give_way
    spawn(registers.patrols.watch(), "patrol-watch")
    return registers


def box_check(ledger: Ledger, alerts: Alerts, config: Config) -> Callable[[date], Coroutine[Any, Any, dict[str, Any]]]:
    """The daily close's box check ([close] box_emptied)."""
    c = config

    async def check(day: date) -> dict[str, Any]:
        return await check_box_emptied(ledger, alerts, day, c.kiosk.tz, c.close.box_emptied)

    return check
