"""A payment the backend refuses after the cash is in: flagged for staff, told truthfully."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.daemon import start_kiosk

pytestmark = pytest.mark.slow


async def test_an_account_closed_during_the_payment_is_flagged_never_credited(tmp_path: Path) -> None:
    state = tmp_path / "state"
    kiosk = await start_kiosk(state)
    try:
        await kiosk.to_cash()
        await kiosk.insert(2000)
        await kiosk.until(lambda s: s["notes"] == [2000], "the note counted")
        # the operator closes the account while the customer stands at the kiosk
        with sqlite3.connect(state / "backend.sqlite3") as backend:
            backend.execute("UPDATE accounts SET status = 'closed' WHERE account = '0012345678'")
        await kiosk.press("finish")
        snap = await kiosk.until(lambda s: s["state"] == "payment_help", "the help screen")
        assert snap["result"]["status"] == "flagged" and snap["help"]["reason"] == "flagged"
        assert snap["result"]["amount"] == 2000
        receipt = "\n".join(await kiosk.until_printed("待工作人员核查"))
        assert "入账成功" not in receipt  # never "credited" for money the backend refused
    finally:
        assert await kiosk.stop() == 0
    db = sqlite3.connect(state / "journal.sqlite3")
    assert db.execute("select state, amount from txns where seq = 1").fetchone() == ("flagged", 2000)
    codes = [json.loads(b)["code"] for (b,) in db.execute("select body from outbox where kind = 'alert'")]
    assert "payment_flagged" in codes
    backend = sqlite3.connect(state / "backend.sqlite3")
    assert backend.execute("select count(*) from payments where credited = 1").fetchone() == (0,)
