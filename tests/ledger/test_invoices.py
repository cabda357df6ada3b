"""Invoice requests are money facts: each request and its answer is a chain entry written with its
row, and an invoice row changed behind the ledger's back is caught (integrity.TABLE_CHECKS)."""

from __future__ import annotations

import json
from pathlib import Path

from kioskd.ledger import Ledger, integrity, invoices
from tests.ledger.conftest import paid, raw

NUMBER = "044001900111-00000001"


def invoice_entries(conn) -> list[tuple[str, dict]]:
    return [(kind, json.loads(data)) for kind, data in conn.execute(
        "SELECT kind, data FROM audit WHERE kind LIKE 'invoice%' ORDER BY seq")]


def row_answered(conn, txn: str) -> str:
    return conn.execute("SELECT answered FROM invoices WHERE txn = ?", (txn,)).fetchone()[0]


async def test_a_request_and_its_answer_are_written_with_their_chain_entries(ledger: Ledger, tmp_path: Path) -> None:
    assert invoices.check_invoices in integrity.TABLE_CHECKS  # run at start-up and by audit verify
    txn = await paid(ledger, 10000, 5000)
    await ledger.request_invoice(txn)
    await ledger.request_invoice(txn)  # asked again: the same request, no second entry
    conn = raw(tmp_path)
    assert invoice_entries(conn) == [("invoice_requested", {"txn": txn, "seq": 1, "amount": 15000})]
    await ledger.settle_invoice(txn, "issued", number=NUMBER, url="https://backend.example/i/1")
    await ledger.settle_invoice(txn, "refused", reason="late")  # the first answer stays: nothing written
    row = await ledger.invoice(txn)
    assert row is not None and (row["state"], row["number"]) == ("issued", NUMBER)
    [_, (kind, answer)] = invoice_entries(conn)
    assert kind == "invoice_settled"
    assert answer == {"txn": txn, "state": "issued", "number": NUMBER, "url": "https://backend.example/i/1",
                      "reason": None, "answered": row_answered(conn, txn)}
    assert invoices.check_invoices(conn) is None


async def test_an_invoice_changed_behind_the_ledgers_back_is_caught(ledger: Ledger, tmp_path: Path) -> None:
    issued, waiting = await paid(ledger, 10000), await paid(ledger, 2000, number="0023456789")
    await ledger.request_invoice(issued)
    await ledger.settle_invoice(issued, "issued", number=NUMBER, url=None)
    await ledger.request_invoice(waiting)
    conn = raw(tmp_path)
    assert invoices.check_invoices(conn) is None

    # a number printed for a request the backend never answered
    conn.execute("UPDATE invoices SET state = 'issued', number = 'FAKE' WHERE txn = ?", (waiting,))
    problem = invoices.check_invoices(conn)
    assert problem is not None and f"the invoice of payment {waiting} (issued) has no chain entry" in problem.reason
    conn.execute("UPDATE invoices SET state = 'requested', number = NULL WHERE txn = ?", (waiting,))
    assert invoices.check_invoices(conn) is None

    # the answered number changed
    conn.execute("UPDATE invoices SET number = 'FAKE' WHERE txn = ?", (issued,))
    problem = invoices.check_invoices(conn)
    assert problem is not None and problem.seq > 0 and "differs (number: table 'FAKE'" in problem.reason
    conn.execute("UPDATE invoices SET number = ? WHERE txn = ?", (NUMBER, issued))

    # a request deleted: its entry names it
    conn.execute("DELETE FROM invoices WHERE txn = ?", (waiting,))
    problem = invoices.check_invoices(conn)
    assert problem is not None and f"the invoice of payment {waiting} is missing" in problem.reason
