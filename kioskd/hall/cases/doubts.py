"""Staff settle an in-doubt note (kioskd/ledger/doubts.py) before a count does: in the box, or not.

"stacked" opens a claim case of the payment's account, found (the staff's word stands for the
count), which staff then re-credit as any found claim; "not_in_box" credits nothing. Either is
once, with the person and their reason in the signed chain, and ends the note's alert.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from kioskd.hall.cases import rules
from kioskd.hall.cases.rules import CaseError
from kioskd.ledger import LedgerError

if TYPE_CHECKING:
    from kioskd.hall.alerts import Alerts
    from kioskd.hall.cases.service import Actor
    from kioskd.ledger import Ledger
    from kioskd.ledger.doubts import DoubtNote

SETTLE_AS = ("stacked", "not_in_box")


async def settle_by_staff(ledger: Ledger, alerts: Alerts, doubt: object, settle_as: object, reason: object,
                          actor: Actor) -> DoubtNote:
    """Settle in-doubt note `doubt` as `settle_as` for `reason`; CaseError (zh, en) when it may not be."""
    if not isinstance(doubt, int) or isinstance(doubt, bool) or doubt <= 0:
        raise CaseError("doubt: the in-doubt note's number required", "请输入去向不明纸币的编号")
    if settle_as not in SETTLE_AS:
        raise CaseError(f"as: stacked or not_in_box, got {settle_as!r}", "处理方式：须为 stacked（已入箱）或 not_in_box（不在钱箱）")
    why = rules.text(reason, "reason", "原因")
    note = await ledger.doubts.note(doubt)
    if note is None:
        raise CaseError(f"no in-doubt note {doubt}", f"没有编号为 {doubt} 的去向不明纸币")
    if note.state != "in_doubt":
        raise CaseError(f"in-doubt note {doubt} was settled already ({note.state}, {note.basis}, by {note.settled_by})",
                        f"去向不明纸币 {doubt} 已处理过（{note.state}，{note.settled_by}）")
    try:
        if settle_as == "stacked":
            settled = await ledger.doubts.settle_stacked(doubt, by=actor.audit(), basis="staff", reason=why,
                                                         count=None, case_id=str(uuid.uuid4()))
        else:
            settled = await ledger.doubts.settle(doubt, "not_in_box", by=actor.id, basis="staff", reason=why,
                                                 person=actor.audit())
    except LedgerError as err:  # settled meanwhile (a count ran): nothing changed
        raise CaseError(str(err), f"去向不明纸币 {doubt} 刚被处理，未作任何更改") from None
    alerts.clear_alert("note_in_doubt", f"doubt {doubt}")
    return settled


async def clear_settled(ledger: Ledger, alerts: Alerts) -> None:
    """End the note_in_doubt alert of every note a count (or staff) settled."""
    for code, device in list(alerts.open):
        if code == "note_in_doubt":
            note = await ledger.doubts.note(int(device.rpartition(" ")[2]))
            if note is None or note.state != "in_doubt":
                alerts.clear_alert(code, device)
