"""Store-and-forward: order per kind, idempotent put, retries, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from kioskd.ledger import Ledger, LedgerError
from tests.ledger.conftest import KIOSK


async def test_oldest_undone_item_first_per_kind(ledger: Ledger) -> None:
    p1 = await ledger.outbox_put("payment", "txn-1", "jws-1")
    a1 = await ledger.outbox_put("alert", "al-1", "{}")
    p2 = await ledger.outbox_put("payment", "txn-2", "jws-2")
    assert (await ledger.outbox_next("payment")).id == p1  # type: ignore[union-attr]
    assert (await ledger.outbox_next("alert")).id == a1  # type: ignore[union-attr]
    assert await ledger.outbox_depth() == {"alert": 1, "payment": 2}

    await ledger.outbox_done(p1, '{"status": "credited"}')
    item = await ledger.outbox_next("payment")
    assert item is not None and (item.id, item.key, item.body) == (p2, "txn-2", "jws-2")
    assert await ledger.outbox_depth() == {"alert": 1, "payment": 1}
    assert await ledger.outbox_next("batch") is None


async def test_put_is_idempotent_on_kind_and_key(ledger: Ledger) -> None:
    first = await ledger.outbox_put("payment", "txn-1", "jws-1")
    assert await ledger.outbox_put("payment", "txn-1", "jws-other") == first
    assert await ledger.outbox_put("alert", "txn-1", "x") != first  # another kind
    item = await ledger.outbox_next("payment")
    assert item is not None and item.body == "jws-1"  # sent byte for byte the same
    await ledger.outbox_done(first, "ok")
    # a late duplicate of a done item does not queue it again
    assert await ledger.outbox_put("payment", "txn-1", "jws-1") == first
    assert await ledger.outbox_next("payment") is None


async def test_retry_counts_tries_and_keeps_the_order(ledger: Ledger) -> None:
    first = await ledger.outbox_put("payment", "txn-1", "jws-1")
    await ledger.outbox_put("payment", "txn-2", "jws-2")
    await ledger.outbox_retry(first, "2030-01-01T00:05:00Z", "connection refused")
    await ledger.outbox_retry(first, "2030-01-01T00:10:00+08:00", "503")
    item = await ledger.outbox_next("payment")
    # still the oldest, even though it is not due yet: order per kind is kept
    assert item is not None and item.id == first
    assert (item.tries, item.next_try) == (2, "2029-12-31T16:10:00.000Z")


async def test_done_items_cannot_be_retried_and_unknown_items_are_errors(ledger: Ledger) -> None:
    item = await ledger.outbox_put("alert", "al-1", "{}")
    await ledger.outbox_done(item, "200")
    await ledger.outbox_done(item, "200")  # repeated answer: fine
    with pytest.raises(LedgerError, match="already done"):
        await ledger.outbox_retry(item, "2030-01-01T00:00:00Z", "late")
    with pytest.raises(LedgerError, match="unknown outbox item"):
        await ledger.outbox_done(999, "x")


async def test_retry_time_must_carry_an_offset(ledger: Ledger) -> None:
    item = await ledger.outbox_put("payment", "txn-1", "jws-1")
    for bad in ("2030-01-01T00:00:00", "tomorrow"):
        with pytest.raises(LedgerError, match="RFC 3339"):
            await ledger.outbox_retry(item, bad, "503")
    assert (await ledger.outbox_next("payment")).tries == 0  # type: ignore[union-attr]


async def test_undone_items_survive_a_restart(tmp_path: Path) -> None:
    before = await Ledger.open(tmp_path, KIOSK)
    await before.outbox_put("payment", "txn-1", "jws-1")
    await before.outbox_put("batch", "7", "jws-batch")
    await before.close()
    after = await Ledger.open(tmp_path, KIOSK)
    assert await after.outbox_depth() == {"batch": 1, "payment": 1}
    assert (await after.outbox_next("batch")).body == "jws-batch"  # type: ignore[union-attr]
    await after.close()
