"""Control commands for the customer at the kiosk: staff end a payment that waits for a stuck note."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from kioskd.control.server import ControlError

if TYPE_CHECKING:
    from kioskd.ledger import Ledger
    from statemachine.model import KioskModel

Command = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class CustomerSide(Protocol):
    """The parts of the running kiosk these commands use."""

    @property
    def model(self) -> KioskModel: ...
    @property
    def ledger(self) -> Ledger: ...


def customer_commands(daemon: CustomerSide) -> dict[str, tuple[Command, frozenset[str]]]:
    """The customer area's control commands: name -> (function, allowed arguments)."""

    async def payment_end(req: dict[str, Any]) -> dict[str, Any]:
        """Staff end the payment on screen that waits for a stuck note: the counted notes are submitted."""
        by = req.get("by")
        if not isinstance(by, str) or not by.strip():
            raise ControlError("payment_end: 'by' (who ends the payment) is required")
        m = daemon.model
        if not m.waiting_for_note():
            raise ControlError("no payment is waiting for a stuck note")
        txn, counted, stuck = m.txn, sum(m.notes), m.loose_note
        # in the audit chain first: the person who decided the customer's cash goes without the note
        seq, _ = await daemon.ledger.audit_append(
            "payment_ended", {"txn": txn, "counted": counted, "stuck_note": stuck, "by": by.strip()})
        await m.trigger("staff_end")
        m.publish()
        return {"txn": txn, "counted": counted, "stuck_note": stuck, "state": m.state, "audit": seq}

    return {"payment_end": (payment_end, frozenset({"by"}))}
