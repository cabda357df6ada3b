"""The key register (钥匙交接): who holds each copy of the terminal key and the cash-box key.

A handover names the copy, the person handing it (its holder, who is the caller) and the one
receiving it, who confirms with their own PIN; both are named in the record. A copy is issued
the first time by a manager or the installer (from nobody), the receiver confirming. Dual
custody then checks it: two technicians who hold the same key may not open the box together
(kioskd.custody.session).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kioskd.hall.accounts import INSTALLER
from kioskd.hall.registers.differences import RegisterError
from kioskd.ledger import LedgerError

if TYPE_CHECKING:
    from kioskd.hall.accounts import Person
    from kioskd.ledger import Ledger

KINDS = ("terminal", "box")
_COPY = re.compile(r"[A-Za-z0-9._-]{1,32}")
MAX_REASON = 200


class KeyRegister:
    """Key copies, their holders and handovers."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def hand(self, copy: str, giver: Person, receiver: Person, reason: str, key: str | None = None) -> dict[str, Any]:
        """Hand a copy from `giver` (its holder; or issue it, `key` given, by a manager) to `receiver`."""
        if not _COPY.fullmatch(copy or ""):
            raise RegisterError("copy: 1-32 letters, digits, '.', '_' or '-' (e.g. box-1)", "钥匙编号格式不对（如 box-1）")
        reason = (reason or "").strip()
        if not reason or len(reason) > MAX_REASON:
            raise RegisterError(f"reason: 1 to {MAX_REASON} characters (leave, shift, ...)", "请填写交接事由")
        if receiver.id == giver.id:
            raise RegisterError("a key is handed to someone else", "钥匙须交给另一人")
        if receiver.role in ("", INSTALLER):
            raise RegisterError("a key is handed to a staff member", "钥匙只能交给工作人员")
        held = {c["id"]: c for c in await self.ledger.registers.key_copies()}
        if copy in held:
            if key is not None and key != held[copy]["key"]:
                raise RegisterError(f"{copy} is a {held[copy]['key']} key", f"{copy} 是{held[copy]['key']}钥匙")
            if held[copy]["holder"] != giver.id and giver.role not in ("manager", INSTALLER):
                raise RegisterError(f"{copy} is held by {held[copy]['holder']}: only its holder hands it over",
                                    f"{copy} 由 {held[copy]['holder']} 持有，只能由持有人交出")
            giver_id = held[copy]["holder"]
        else:
            if key not in KINDS:
                raise RegisterError(f"no key copy {copy}: to issue it name its kind (terminal or box)",
                                    f"没有钥匙 {copy}：发放新钥匙请注明类型（机门或钱箱）")
            if giver.role not in ("manager", INSTALLER):
                raise RegisterError("a new key copy is issued by a manager", "新钥匙由经理发放")
            giver_id = None
        try:
            return await self.ledger.registers.hand_key(copy, key, giver_id, receiver.id, reason, giver.audit(),
                                                        [p for p in (giver_id, receiver.id) if p])
        except LedgerError as err:
            raise RegisterError(str(err).rpartition(": ")[2], "钥匙交接未能记录") from None
