"""Cases (差错/投诉): opened by staff on a payment or a claim, followed to one outcome for the cash.

The person acting (`actor`, a kioskd.hall.accounts.Person: id, name, role, audit()) is named
in every step; whether their role may do the action is the control layer's check. Re-credits
and voids are asked of the backend at once and, without a definite answer, from the outbox
(kind "case") until one comes; the case waits meanwhile. A refund needs a second person, a
manager who approves, and prints a voucher both sign.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol

from kioskd.hall.cases import rules
from kioskd.hall.cases.rules import CaseError
from kioskd.hall.cases.voucher import Voucher, print_voucher, printer_ready
from kioskd.hall.words import payment_reason_fields
from kioskd.ledger import LedgerError
from kioskd.ledger.records import utc_now
from kioskd.system.clock import wall_now
from kioskd.uplink.client import post_until_definite
from kioskd.uplink.corrections import (
    PATHS,
    READERS,
    Correction,
    recredit_payload,
    unknown,
    void_payload,
)
from kioskd.uplink.errors import Unreachable
from statemachine.ports import AccountInfo, LookupFailed

if TYPE_CHECKING:
    from drivers.base import ReceiptPrinter
    from kioskd.config import Config
    from kioskd.hall.alerts import Alerts
    from kioskd.ledger import Ledger, OutboxItem, TxnRecord
    from kioskd.ledger.cases import CaseRecord, OutcomeRecord
    from kioskd.uplink.client import BackendClient
    from kioskd.uplink.outbox import OutboxSender

log = logging.getLogger("kioskd.hall.cases")


class Actor(Protocol):
    """Who acts: kioskd.hall.accounts.Person."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    def audit(self) -> dict[str, Any]: ...


class Cases:
    """The case procedure over the journal, the backend link, the alerts and the printer."""

    def __init__(self, *, ledger: Ledger, client: BackendClient, sender: OutboxSender | None, alerts: Alerts,
                 printer: ReceiptPrinter, config: Config) -> None:
        self.ledger, self.client, self.sender, self.alerts = ledger, client, sender, alerts
        self.printer, self.config = printer, config

    # -- opening and following ------------------------------------------------------------
    async def open_payment(self, ref: str | int, actor: Actor, *, phone: str | None = None,
                           note: str | None = None) -> CaseRecord:
        """A case on a payment that took cash (by serial number or transaction id)."""
        record = await self.payment(ref)
        if record.state == "open":
            raise CaseError(f"payment #{record.seq} is still at the kiosk", f"缴费 #{record.seq} 仍在进行中")
        case = await self._open(kind="payment", txn=record.id, account=record.account, amount=record.amount,
                                claimed_at=None, phone=rules.phone(phone), actor=actor, note=note)
        self.alerts.clear_alert("cash_without_case", f"payment {record.id}")  # someone owns this cash now
        return case

    async def open_claim(self, value: int, actor: Actor, *, when: str | None = None, account: str | None = None,
                         phone: str | None = None, note: str | None = None) -> CaseRecord:
        """A customer's claim that a note of `value` fen was not counted (at `when`, local time)."""
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise CaseError("value: the claimed note in fen required", "面额：请输入纸币面额")
        at = rules.claimed_at(when, self.config.kiosk.tz, wall_now())
        return await self._open(kind="claim", txn=None, account=None if account is None else rules.account(account),
                                amount=value, claimed_at=at, phone=rules.phone(phone), actor=actor, note=note)

    async def _open(self, *, actor: Actor, note: str | None, **fields: Any) -> CaseRecord:
        note = None if note is None else rules.text(note, "note", "备注")
        try:
            case = await self.ledger.cases.open(**fields, by=actor.audit(), case_id=str(uuid.uuid4()))
        except LedgerError as err:
            held = str(err).rpartition(": ")[2]
            if "already open" in held:
                raise CaseError(held, f"该缴费已有处理中的差错单（{held.split()[1]}）") from None
            raise
        if note:
            await self.ledger.cases.note(case.id, note, actor.audit())
        log.info("case %d opened (%s, %d fen) by %s", case.no, case.kind, case.amount, actor.id)
        return case

    async def note(self, no: int, text: str, actor: Actor) -> None:
        """Add a note (what was said, what was agreed) to a case, open or closed."""
        case = await self.case(no)
        await self.ledger.cases.note(case.id, rules.text(text, "note", "备注"), actor.audit())

    async def close(self, no: int, reason: str, actor: Actor, *, reject: bool = False) -> CaseRecord:
        """Close without a money outcome: no action (the cash is credited) or a rejected claim."""
        case, txn = await self._case_and_payment(no)
        rules.check(await self._refusals(case, txn), "reject" if reject else "close")
        closed = await self.ledger.cases.close(case.id, "rejected" if reject else "resolved",
                                               rules.text(reason, "reason", "原因"), actor.audit())
        log.info("case %d closed %s by %s", no, closed.status, actor.id)
        return closed

    # -- outcomes -------------------------------------------------------------------------
    async def lookup(self, number: str) -> AccountInfo:
        """The account staff named, as the backend answers it; CaseError when it cannot be paid."""
        number = rules.account(number)
        try:
            return await self.client.lookup(number)
        except LookupFailed as err:
            if err.reason == "unknown_account":
                raise CaseError(f"account {number} is unknown at the backend: nothing was recorded",
                                f"户号 {number} 不存在：未作任何记录") from None
            if err.reason == "account_blocked":
                raise CaseError(f"account {number} cannot be paid ({err.detail or 'blocked'}): nothing was recorded",
                                f"户号 {number} 不可缴费（{err.detail or '已冻结'}）：未作任何记录") from None
            raise CaseError(f"the backend cannot be reached to look account {number} up: nothing was recorded, "
                            "try again", f"无法连接后台查询户号 {number}：未作任何记录，请稍后再试") from None

    async def recredit(self, no: int, account: str, holder: str, reason: str, actor: Actor) -> OutcomeRecord:
        """Credit a flagged or pending payment's (or a found claim's) cash to the right account."""
        case, txn = await self._case_and_payment(no)
        rules.check(await self._refusals(case, txn), "recredit")
        reason = rules.text(reason, "reason", "原因")
        info = await self._confirmed(account, holder, case.amount)
        outcome_id, at = str(uuid.uuid4()), utc_now()
        claim = None if txn else {"value": case.amount, "at": case.claimed_at, "count": case.count_session}
        jws = self.client.sign(recredit_payload(
            kiosk=self.config.kiosk.id, outcome=outcome_id, case=case.id, txn=case.txn,
            seq=None if txn is None else txn.seq, claim=claim, account=info.account, amount=case.amount,
            currency=self.config.kiosk.currency, reason=reason, by=actor.id, at=at))
        step = {"outcome": outcome_id, "state": "requested", "txn": case.txn, "account": info.account,
                "amount": case.amount, "ref": None, "reason": reason}
        outcome = {"id": outcome_id, "kind": "recredit", "account": info.account, "holder": info.holder,
                   "reason": reason, "state": "requested", "payload": jws}
        # the payment's own sender must not be half-way through sending it while its cash is taken over
        hold = txn is not None and txn.state == "pending"
        async with self._payment_lock(case.txn if hold else None):
            latest = await self.ledger.transaction(txn.id) if hold and txn is not None else None
            if txn is not None and latest is not None and latest.state != "pending":
                raise CaseError(f"payment #{txn.seq} was just answered by the backend: look at it again",
                                f"缴费 #{txn.seq} 刚收到后台答复，请重新查看")
            await self.ledger.cases.request(case.id, outcome, actor.audit(), step=step,
                                            outbox=("case", outcome_id, jws), hold_payment=hold)
        return await self._send_now(outcome_id, "recredit", jws)

    async def void(self, no: int, to: str, holder: str, reason: str, actor: Actor) -> OutcomeRecord:
        """Ask the backend to reverse a credited payment and credit the right account."""
        case, txn = await self._case_and_payment(no)
        rules.check(await self._refusals(case, txn), "void")
        assert txn is not None
        reason = rules.text(reason, "reason", "原因")
        if rules.account(to, "to") == txn.account:
            raise CaseError(f"payment #{txn.seq} is already credited to {to}", f"缴费 #{txn.seq} 已入账至 {to}")
        info = await self._confirmed(to, holder, case.amount)
        outcome_id, at = str(uuid.uuid4()), utc_now()
        jws = self.client.sign(void_payload(
            kiosk=self.config.kiosk.id, outcome=outcome_id, case=case.id, txn=txn.id, seq=txn.number,
            account=txn.account, to=info.account, amount=case.amount, currency=self.config.kiosk.currency,
            reason=reason, by=actor.id, at=at))
        step = {"outcome": outcome_id, "state": "requested", "txn": txn.id, "account": txn.account,
                "to": info.account, "amount": case.amount, "ref": None, "reason": reason}
        outcome = {"id": outcome_id, "kind": "void", "account": info.account, "holder": info.holder,
                   "reason": reason, "state": "requested", "payload": jws}
        await self.ledger.cases.request(case.id, outcome, actor.audit(), step=step, outbox=("case", outcome_id, jws))
        return await self._send_now(outcome_id, "void", jws)

    async def refund(self, no: int, amount: int, reason: str, payer: Actor, approver: Actor, *,
                     lang: str | None = None) -> tuple[OutcomeRecord, bool]:
        """Cash paid back at the counter, approved by a second person; the voucher printed. (outcome, printed)."""
        case, txn = await self._case_and_payment(no)
        rules.check(await self._refusals(case, txn), "refund")
        if amount != case.amount:
            raise CaseError(f"the refund is the whole {case.amount} fen of case {no}, not {amount}: one outcome "
                            "per cash", f"退款金额须为全部 {case.amount} 分")
        if approver.id == payer.id:
            raise CaseError("a refund needs a second person: the manager who approves cannot be the one who pays "
                            "it out", "退款须由另一位经理审批，经办人不能自己审批")
        reason = rules.text(reason, "reason", "原因")
        if not await printer_ready(self.printer):
            raise CaseError("the printer is not ready: nothing was recorded (the customer signs the printed "
                            "voucher)", "打印机未就绪：未作任何记录（退款凭证须打印后由客户签字）")
        outcome_id = str(uuid.uuid4())
        step = {"outcome": outcome_id, "txn": case.txn, "amount": case.amount, "reason": reason,
                "paid_by": payer.id, "paid_by_name": payer.name, "approved_by": approver.id,
                "approved_by_name": approver.name, "approved_via": approver.audit().get("via")}
        outcome = await self.ledger.cases.request(
            case.id, {"id": outcome_id, "kind": "refund", "reason": reason, "state": "done",
                      "approved_by": approver.id}, payer.audit(), step=step)
        self._settled(case)
        printed = await self.print_voucher(no, lang=lang)
        log.info("case %d: %d fen refunded by %s, approved by %s (voucher printed: %s)",
                 no, amount, payer.id, approver.id, printed)
        return outcome, printed

    async def writeoff(self, no: int, reason: str, actor: Actor) -> OutcomeRecord:
        """The cash stays with the operator, unallocated (a manager's decision)."""
        case, txn = await self._case_and_payment(no)
        rules.check(await self._refusals(case, txn), "writeoff")
        reason = rules.text(reason, "reason", "原因")
        outcome_id = str(uuid.uuid4())
        outcome = await self.ledger.cases.request(
            case.id, {"id": outcome_id, "kind": "writeoff", "reason": reason, "state": "done"}, actor.audit(),
            step={"outcome": outcome_id, "txn": case.txn, "amount": case.amount, "reason": reason})
        self._settled(case)
        return outcome

    async def print_voucher(self, no: int, *, lang: str | None = None, copy: bool = False) -> bool:
        """Print (or reprint) the refund voucher of a case; False when the printer did not take it."""
        case = await self.case(no)
        steps = [s for s in await self.ledger.cases.steps(case.id) if s["step"] == "refund"]
        if not steps:
            raise CaseError(f"case {no} has no refund", f"差错单 {no} 没有退款")
        data, c = steps[-1]["data"], self.config
        txn = None if case.txn is None else await self.ledger.transaction(case.txn)
        voucher = Voucher(hall=c.kiosk.name, kiosk=c.kiosk.id, case_no=no, outcome=data["outcome"],
                          seq=None if txn is None else txn.seq, txn=case.txn, account=case.account,
                          amount=data["amount"], currency=c.kiosk.currency, reason=data["reason"],
                          paid_by=f"{data['paid_by']} {data['paid_by_name']}".strip(),
                          approved_by=f"{data['approved_by']} {data['approved_by_name']}".strip(),
                          at=steps[-1]["at"], copy=copy)
        return await print_voucher(self.printer, voucher, locale=lang or c.kiosk.locale,
                                   encoding=c.printer.encoding, tz=c.kiosk.tz)

    # -- the backend's answers ------------------------------------------------------------
    async def _send_now(self, outcome_id: str, kind: str, jws: str) -> OutcomeRecord:
        lock = self.sender.lock("case", outcome_id) if self.sender else _NoLock()
        async with lock:
            result = await post_until_definite(self.client, PATHS[kind], jws,
                                               lambda answer: READERS[kind](outcome_id, answer), unknown,
                                               self.config.backend.timeout)
            why = await self._answered(outcome_id, result)
        if why is not None:
            log.warning("case request %s (%s): no definite answer (%s); the outbox sends it again", outcome_id,
                        kind, why)
            if self.sender:
                self.sender.wake()
        outcome = await self.ledger.cases.outcome(outcome_id)
        assert outcome is not None
        return outcome

    async def send_from_outbox(self, item: OutboxItem) -> str | None:
        """OutboxSender's case handler: send a waiting request again; None once answered, else why not."""
        outcome = await self.ledger.cases.outcome(item.key)
        if outcome is None or outcome.state != "requested":
            await self.ledger.outbox_done(item.id, "answered before")
            return None
        try:
            answer = await self.client.post_signed(PATHS[outcome.kind], item.body)
        except Unreachable as err:
            return str(err)
        return await self._answered(outcome.id, READERS[outcome.kind](outcome.id, answer))

    async def _answered(self, outcome_id: str, result: Correction) -> str | None:
        """Record a definite answer (None), or say why there is none."""
        if result.status == "unknown":
            return result.reason or "no definite answer"
        outcome = await self.ledger.cases.outcome(outcome_id)
        assert outcome is not None
        case = await self.ledger.cases.case(outcome.case_id)
        assert case is not None
        if result.status == "already_credited" and case.txn is not None:
            # the pending payment was credited after all (its answer was lost): that is its outcome
            txn = await self.ledger.transaction(case.txn)
            if txn is not None and txn.state == "pending":
                await self.ledger.settle(case.txn, "credited", balance=None, ref=result.ref)
        done = result.status == "done"
        state = ("credited" if outcome.kind == "recredit" else "accepted") if done else "refused"
        step = {"outcome": outcome.id, "state": state, "txn": case.txn, "account": outcome.account,
                "amount": outcome.amount, "ref": result.ref, "reason": None if done else result.reason}
        if outcome.kind == "void":
            txn = await self.ledger.transaction(case.txn) if case.txn else None
            step = {**step, "account": None if txn is None else txn.account, "to": outcome.account}
        await self.ledger.cases.answer(outcome.id, "done" if done else "refused", ref=result.ref,
                                       answer=result.answer, step=step)
        log.info("case %d: %s %s (%s)", case.no, outcome.kind, state, result.ref or result.reason)
        if done:
            self._settled(case)
        return None

    def _settled(self, case: CaseRecord) -> None:
        """The case's cash has its outcome: the alerts about it are over (cleared by their cause)."""
        if case.txn is not None:
            self.alerts.clear_alert("payment_flagged", f"payment {case.txn}")
            self.alerts.clear_alert("cash_without_case", f"payment {case.txn}")

    # -- reads ------------------------------------------------------------------------------
    async def payment(self, ref: str | int) -> TxnRecord:
        """A payment that took cash, by serial number or transaction id; CaseError when there is none."""
        key: str | int = int(ref) if isinstance(ref, str) and ref.isdigit() else ref
        record = await self.ledger.transaction(key)
        if record is None or record.seq is None:
            raise CaseError(f"no payment {ref} that took cash", f"没有流水号为 {ref} 的缴费")
        return record

    async def case(self, no: int) -> CaseRecord:
        """A case by number; CaseError when there is none."""
        case = await self.ledger.cases.case(no) if isinstance(no, int) and not isinstance(no, bool) else None
        if case is None:
            raise CaseError(f"no case {no}", f"没有差错单 {no}")
        return case

    async def view(self, no: int) -> dict[str, Any]:
        """A case in full for staff: what it is about, its steps and outcomes, what it may do next."""
        case, txn = await self._case_and_payment(no)
        refused = await self._refusals(case, txn)
        return {"case": asdict(case), "steps": await self.ledger.cases.steps(case.id),
                "outcomes": [asdict(o) | {"payload": None} for o in await self.ledger.cases.outcomes(case.id)],
                "payment": None if txn is None else _payment_view(txn),
                "may": [a for a in rules.ACTIONS if refused[a] is None]}

    async def listing(self, statuses: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """Cases (of some statuses), newest first, without phone numbers."""
        return [{**asdict(c), "phone": None, "contact": c.phone is not None}
                for c in await self.ledger.cases.cases(statuses)]

    async def _case_and_payment(self, no: int) -> tuple[CaseRecord, TxnRecord | None]:
        case = await self.case(no)
        return case, None if case.txn is None else await self.ledger.transaction(case.txn)

    async def _refusals(self, case: CaseRecord, txn: TxnRecord | None) -> dict[str, tuple[str, str] | None]:
        live = await self.ledger.cases.live_outcome(case.cash)
        return rules.refusals(case, None if txn is None else txn.state, live, None if txn is None else txn.seq)

    async def _confirmed(self, number: str, holder: str, amount: int) -> AccountInfo:
        info = await self.lookup(number)
        if holder != info.holder:
            raise CaseError(f"account {info.account} belongs to {info.holder}: confirm that holder (nothing was "
                            "recorded)", f"户号 {info.account} 的户名为 {info.holder}，请确认（未作任何记录）")
        if amount > info.max:
            raise CaseError(f"{amount} fen is over what account {info.account} takes in one payment ({info.max})",
                            f"金额超过户号 {info.account} 的单笔上限")
        return info

    def _payment_lock(self, txn: str | None) -> Any:
        return self.sender.lock("payment", txn) if self.sender and txn else _NoLock()


class _NoLock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


def _payment_view(txn: TxnRecord) -> dict[str, Any]:
    return {"seq": txn.seq, "txn": txn.id, "account": txn.account, "holder": txn.holder, "amount": txn.amount,
            "state": txn.state, "started": txn.started, "ended": txn.ended, "ref": txn.ref, "reason": txn.reason,
            "opened_reason": txn.opened_reason, **payment_reason_fields(txn.opened_reason, txn.reason),
            "notes": [{"value": n.value, "at": n.at} for n in txn.notes]}
