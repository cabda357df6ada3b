"""Count differences (长短款, 假币) explained and settled by two people, and the vendor claims (索赔) they lead to.

Each note over, short or counterfeit at a count is one difference, open until it is resolved:
someone explains it and names an outcome, and a manager who is someone else approves, in the
same request (kioskd.control.registers authenticates the approver). An over is matched to a
case (a customer's "note not counted" claim that this count found, kioskd.hall.cases.claims),
to a customer's receipt, or kept as surplus; a short or a counterfeit is claimed from the
equipment vendor or written off as a loss. A vendor claim then goes claimed -> compensated,
rejected, or bad debt (坏账; also after a rejection).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from kioskd.hall.paid_figures import day_bounds
from kioskd.ledger import LedgerError

if TYPE_CHECKING:
    from kioskd.hall.accounts import Person
    from kioskd.ledger import Ledger

OUTCOMES = {"over": ("case", "receipt", "surplus"), "short": ("vendor_claim", "loss"),
            "counterfeit": ("vendor_claim", "loss")}
MAX_EXPLANATION = 500


class RegisterError(Exception):
    """A refusal in both languages: str() is English, `zh` the Chinese."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


def month_bounds(month: str, tz: str) -> tuple[str, str]:
    """A local month 'YYYY-MM' as UTC [since, until)."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise RegisterError(f"month: YYYY-MM required, got {month!r}", f"月份格式应为 YYYY-MM：{month}") from None
    following = date(year + number // 12, number % 12 + 1, 1)
    return day_bounds(first, tz)[0], day_bounds(following, tz)[0]


class Differences:
    """Differences and vendor claims over the journal."""

    def __init__(self, ledger: Ledger, tz: str) -> None:
        self.ledger, self.tz = ledger, tz

    async def listing(self, status: str | None = None, session: str | None = None, *, after: int | None = None,
                      limit: int | None = None) -> list[dict[str, Any]]:
        """Differences (open ones until resolved), oldest first (a page: `limit` numbered above `after`), each
        with the cases that may explain it and the in-doubt note that does (`doubt_note`: the note, its
        payment and its claim case)."""
        rows = await self.ledger.registers.differences(status=status, session=session, after=after, limit=limit)
        links: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            if row["kind"] == "over" and row["session"] not in links:
                links[row["session"]] = await self.ledger.cases.claims_for_count(row["session"])
        notes = {}
        for no in {r["doubt"] for r in rows} - {None}:
            note = await self.ledger.doubts.note(no)
            notes[no] = None if note is None else note.view()
        return [{**row, "cases": [c for c in links.get(row["session"], []) if c["found"] and c["value"] == row["value"]],
                 "doubt_note": notes.get(row["doubt"])} for row in rows]

    async def resolve(self, nos: list[int], outcome: str, explanation: str, ref: str | None,
                      actor: Person, approver: Person) -> dict[str, Any]:
        """Explain and settle differences of one count with one outcome, approved by a manager (someone else)."""
        if not nos or len(set(nos)) != len(nos):
            raise RegisterError("differences: one or more numbers, each once", "请填写差额编号（不重复）")
        if approver.id == actor.id:
            raise RegisterError("a difference is approved by a second person, not the one who explains it",
                                "差额须由另一人（经理）审批")
        explanation = explanation.strip()
        if not explanation or len(explanation) > MAX_EXPLANATION:
            raise RegisterError(f"explanation: 1 to {MAX_EXPLANATION} characters", "请填写差额说明（500 字以内）")
        rows = [await self.ledger.registers.difference(no) for no in nos]
        for no, row in zip(nos, rows, strict=True):
            if row is None:
                raise RegisterError(f"no difference {no}", f"没有差额 {no}")
            if row["status"] != "open":
                raise RegisterError(f"difference {no} is already resolved", f"差额 {no} 已处理")
            if outcome not in OUTCOMES[row["kind"]]:
                raise RegisterError(f"difference {no} ({row['kind']}) may be settled as {', '.join(OUTCOMES[row['kind']])}",
                                    f"差额 {no} 的处理方式只能是 {', '.join(OUTCOMES[row['kind']])}")
        ref = await self._reference([row for row in rows if row is not None], outcome, ref)
        try:
            claim = await self.ledger.registers.resolve(nos, outcome, explanation, ref, actor.audit(), approver.audit())
        except LedgerError as err:
            raise RegisterError(str(err).rpartition(": ")[2], "差额不能这样处理") from None
        return {"resolved": nos, "outcome": outcome, "claim": claim}

    async def _reference(self, rows: list[dict[str, Any]], outcome: str, ref: str | None) -> str | None:
        """The case id (by its number) or the payment (serial or txn) an over is matched to."""
        if outcome not in ("case", "receipt"):
            return None
        if not ref:
            raise RegisterError(f"{outcome}: the case number or the receipt's serial number is required",
                                "请填写差错单号或凭条流水号")
        if outcome == "receipt":
            found = await self.ledger.transaction(int(ref) if ref.isdigit() else ref)
            if found is None or found.seq is None:
                raise RegisterError(f"no payment {ref}", f"没有缴费 {ref}")
            return found.id
        case = await self.ledger.cases.case(int(ref) if ref.isdigit() else ref)
        session = rows[0]["session"]
        doubt = None if rows[0]["doubt"] is None else await self.ledger.doubts.note(rows[0]["doubt"])
        by_doubt = case is not None and doubt is not None and doubt.case_id == case.id  # staff settled it before
        if case is None or ((case.count_session != session or not case.found) and not by_doubt):
            raise RegisterError(f"case {ref} is not a claim this count found",
                                f"差错单 {ref} 不是本次清点找到的客户申诉")
        if any(row["value"] != case.amount for row in rows) or len(rows) != 1:
            raise RegisterError(f"case {ref} explains one note of {case.amount} fen", f"差错单 {ref} 只对应一张该面额纸币")
        taken = await self.ledger.registers.differences(session=session, status="resolved")
        if any(d["ref"] == case.id for d in taken):
            raise RegisterError(f"case {ref} already explains another difference", f"差错单 {ref} 已用于其他差额")
        return case.id

    # -- vendor claims -----------------------------------------------------------------------
    async def claims(self, month: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Vendor claims created in a local month (or all), oldest first."""
        since, until = month_bounds(month, self.tz) if month else (None, None)
        return await self.ledger.registers.claims(since=since, until=until, status=status)

    async def claim(self, no: int) -> dict[str, Any]:
        """One vendor claim with its notes."""
        found = await self.ledger.registers.claim(no)
        if found is None:
            raise RegisterError(f"no claim {no}", f"没有索赔单 {no}")
        return found

    async def settle(self, no: int, status: str, actor: Person, vendor_ref: str | None = None,
                     remark: str | None = None) -> dict[str, Any]:
        """Move a claim on: compensated, rejected, or bad_debt."""
        claim = await self.claim(no)
        try:
            return await self.ledger.registers.set_claim_status(no, status, actor.audit(), vendor_ref, remark)
        except LedgerError:
            raise RegisterError(f"claim {no} is {claim['status']}: it cannot become {status}",
                                f"索赔单 {no} 当前为 {claim['status']}，不能改为 {status}") from None
