"""In-process fakes of the devices and services, for the machine tests."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from drivers.base import CreditCommit, DeviceEvent, EventSink, NoteCredited
from statemachine.ports import AccountInfo, LookupFailed, PaymentResult, ReprintChoice, StuckNote


class FakeValidator:
    """Records what the machine asked of it; tests play the device's side."""

    name = "validator"

    def __init__(self, denominations: tuple[int, ...] = (100, 500, 1000, 2000, 5000, 10000)):
        self.accepting = False
        self.actions: list[str] = []
        self._denoms = denominations

    async def run(self, sink: EventSink, commit_credit: CreditCommit) -> None:
        await asyncio.Event().wait()

    async def set_accepting(self, enabled: bool) -> None:
        self.accepting = enabled
        self.actions.append("enable" if enabled else "inhibit")

    async def stack(self) -> None:
        self.actions.append("stack")

    async def return_note(self) -> None:
        self.actions.append("return")

    def denominations(self) -> tuple[int, ...]:
        return self._denoms

    def report_again(self, event: type[DeviceEvent]) -> None:
        self.actions.append(f"report_again {event.__name__}")


@dataclass
class FakeJournal:
    """A journal in memory that keeps the same rules as the ledger."""

    txns: dict[str, dict] = field(default_factory=dict)
    intents: list[tuple[str, int]] = field(default_factory=list)
    next_seq: int = 1
    ratings: dict[str, str] = field(default_factory=dict)

    async def open_payment(self, info: AccountInfo) -> str:
        txn = str(uuid.uuid4())
        self.txns[txn] = {"account": info.account, "notes": [], "state": "open", "seq": None}
        return txn

    # set: stack intents wait for it (the journal's thread stuck behind a dying card's fsync)
    intent_gate: asyncio.Event | None = None
    withdrawn: list[tuple[str, int]] = field(default_factory=list)

    async def stack_requested(self, txn: str, value: int) -> None:
        if self.intent_gate is not None:  # the thread writes it when it gets there, caller waiting or not
            await asyncio.shield(self._late_intent(self.intent_gate, txn, value))
            return
        self.intents.append((txn, value))

    async def _late_intent(self, gate: asyncio.Event, txn: str, value: int) -> None:
        await gate.wait()
        self.intents.append((txn, value))

    async def withdraw_stack_intent(self, txn: str, value: int) -> bool:
        if self.intent_gate is not None:
            await self.intent_gate.wait()  # queued behind the stack intent it withdraws, as on the ledger's thread
        if self.intents[-1:] != [(txn, value)]:
            return False
        self.withdrawn.append(self.intents.pop())
        return True

    async def commit_note(self, txn: str, value: int) -> int:
        t = self.txns[txn]
        assert t["state"] == "open", "note committed to a transaction that is not open"
        if t["seq"] is None:
            t["seq"], self.next_seq = self.next_seq, self.next_seq + 1
        t["notes"].append(value)
        return int(t["seq"])

    # set: closes wait for it (the journal's thread stuck on a write); each close that ran, in order
    close_gate: asyncio.Event | None = None
    closes: list[str] = field(default_factory=list)

    async def close_payment(self, txn: str) -> bool:
        if self.close_gate is not None:  # the thread closes it when it gets there, caller waiting or not
            return await asyncio.shield(self._late_close(self.close_gate, txn))
        return self._close(txn)

    async def _late_close(self, gate: asyncio.Event, txn: str) -> bool:
        await gate.wait()
        return self._close(txn)

    def _close(self, txn: str) -> bool:
        t = self.txns[txn]
        self.closes.append(txn)
        if t["state"] == "open":  # idempotent, as the ledger's
            t["state"] = "closed" if t["notes"] else "cancelled"
        return bool(t["notes"])

    async def rate_payment(self, txn: str, rating: str) -> None:
        assert self.txns[txn]["seq"] is not None, "only a payment that took cash is rated"
        assert txn not in self.ratings, "a payment is rated once"
        self.ratings[txn] = rating


class FakePayments:
    """A backend: accounts by number; submit answers with `status`."""

    def __init__(self, journal: FakeJournal, status: str = "credited") -> None:
        self.journal = journal
        self.status = status
        self.accounts = {
            "0012345678": AccountInfo("0012345678", "张*明", 12350, -12350, "CNY", 100, 500000),
            "0087654321": AccountInfo("0087654321", "L*i", 500, -500, "CNY", 1000, 20000),
        }
        self.lookup_gate: asyncio.Event | None = None  # set to hold look-ups
        self.submit_gate: asyncio.Event | None = None  # set to hold submits
        self.refusal = "rejected: account_closed"  # the reason of a flagged payment
        self.submitted: list[str] = []
        self.looked_up: list[str] = []  # every account asked for, as the backend would see it

    async def lookup(self, account: str) -> AccountInfo:
        self.looked_up.append(account)
        if self.lookup_gate is not None:
            await self.lookup_gate.wait()
        if account == "0099999999":
            raise LookupFailed("account_blocked")
        if account == "0088888888":
            raise LookupFailed("account_blocked", "frozen")
        if account not in self.accounts:
            raise LookupFailed("unknown_account")
        return self.accounts[account]

    async def submit(self, txn: str) -> PaymentResult:
        if self.submit_gate is not None:
            await self.submit_gate.wait()
        t = self.journal.txns[txn]
        assert t["state"] == "closed"
        self.submitted.append(txn)
        amount = sum(t["notes"])
        credited = self.status == "credited"
        return PaymentResult(
            txn=txn, seq=t["seq"], account=t["account"], amount=amount, notes=tuple(t["notes"]),
            status=self.status, balance=amount - 12350 if credited else None,
            ref="B-1" if credited else None, reason=None if credited else self.refusal,
        )


class FakeReceipts:
    """A printer that works unless told otherwise."""

    def __init__(self) -> None:
        self.ok = True
        self.printed: list[PaymentResult] = []
        self.gate: asyncio.Event | None = None

    async def print_payment(self, result: PaymentResult, locale: str, stuck: StuckNote | None = None) -> bool:
        if self.gate is not None:
            await self.gate.wait()
        if self.ok:
            self.printed.append(result)
        return self.ok


class FakeReprints:
    """Recent payments per account; the customer's copies, with the outcome a test sets."""

    def __init__(self) -> None:
        self.recent: dict[str, list[ReprintChoice]] = {
            "0012345678": [
                ReprintChoice("t-2", 2, 5000, "credited", "12-02 18:30", used=False),
                ReprintChoice("t-1", 1, 2000, "pending", "12-02 09:05", used=True),
            ],
        }
        self.outcome = "printed"
        self.printed: list[tuple[str, str]] = []
        self.gate: asyncio.Event | None = None

    async def recent_payments(self, account: str) -> list[ReprintChoice]:
        if self.gate is not None:
            await self.gate.wait()
        return list(self.recent.get(account, []))

    async def for_customer(self, txn: str, locale: str) -> str:
        if self.gate is not None:
            await self.gate.wait()
        if self.outcome == "printed":
            self.printed.append((txn, locale))
        return self.outcome


class FakeAlerts:
    """Collects raised and cleared alert codes (and each raised code's last detail)."""

    def __init__(self) -> None:
        self.raised: list[str] = []
        self.cleared: list[str] = []
        self.details: list[dict[str, object]] = []  # each raised alert's detail, in order

    def raise_alert(self, code: str, severity: str = "warning", **detail: object) -> None:
        self.raised.append(code)
        self.details.append(detail)

    def clear_alert(self, code: str, device: str = "") -> None:
        self.cleared.append(code)


async def credit(model, value: int) -> None:
    """Play a validator: commit the credit (as VEND VALID does), then report stacked."""
    await model.commit_credit(NoteCredited("validator", value))
    await model.trigger("note_stacked", value)
