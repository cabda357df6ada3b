"""The customer's rating of a payment: once, only for a payment that took cash, never changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kioskd.ledger import Ledger, LedgerError
from tests.ledger.conftest import account, paid, raw


async def test_a_payment_is_rated_once_and_the_rating_is_batched(ledger: Ledger) -> None:
    txn = await paid(ledger, 10000)
    await ledger.rate_payment(txn, "good")
    with pytest.raises(LedgerError, match="already rated"):
        await ledger.rate_payment(txn, "poor")
    [record] = await ledger.batch_ratings(0)
    assert (record["kind"], record["txn"], record["seq"], record["rating"]) == ("rating", txn, 1, "good")
    assert record["at"].endswith("Z")
    assert await ledger.batch_ratings(record["id"]) == []


async def test_only_payments_that_took_cash_and_known_ratings(ledger: Ledger) -> None:
    cancelled = await paid(ledger)  # a look-up the customer walked away from: no notes
    with pytest.raises(LedgerError, match="took cash"):
        await ledger.rate_payment(cancelled, "good")
    txn = await paid(ledger, 500)
    with pytest.raises(LedgerError, match="rating must be"):
        await ledger.rate_payment(txn, "excellent")
    assert await ledger.batch_ratings(0) == []


async def test_the_schema_refuses_changes_behind_the_ledgers_back(ledger: Ledger, tmp_path: Path) -> None:
    txn = await paid(ledger, 500)
    await ledger.rate_payment(txn, "fair")
    other = await ledger.open_payment(account("0023456789"))
    conn = raw(tmp_path)
    for sql, args in [("UPDATE ratings SET rating = 'good'", ()), ("DELETE FROM ratings", ()),
                      ("INSERT INTO ratings (txn, rating, at) VALUES (?, 'good', 'x')", (other,))]:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(sql, args)


async def test_ratings_are_counted_by_the_day_of_the_payment(ledger: Ledger) -> None:
    for value, rating in [(100, "good"), (200, "good"), (300, "poor")]:
        await ledger.rate_payment(await paid(ledger, value), rating)
    await paid(ledger, 400)  # not rated
    assert await ledger.ratings_between("2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z") == {
        "good": 2, "fair": 0, "poor": 1}
    assert await ledger.ratings_between("2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z") == {
        "good": 0, "fair": 0, "poor": 0}
