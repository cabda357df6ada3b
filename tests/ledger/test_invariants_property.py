"""Random sessions, restarts and box changes never break the money invariants."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kioskd.ledger import Ledger
from tests.ledger.conftest import KIOSK, account, raw

VALUES = (100, 500, 1000, 2000, 5000, 10000)

# One step: ("pay", notes) | ("inflight", value, credited?) | ("restart",) | ("box",)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.lists(st.sampled_from(VALUES), max_size=4)),
        st.tuples(st.just("inflight"), st.sampled_from(VALUES), st.booleans()),
        st.tuples(st.just("restart")),
        st.tuples(st.just("box")),
    ),
    min_size=1,
    max_size=12,
)


async def _run(state: Path, plan: list[tuple]) -> tuple[dict[int, int], dict[int, int]]:
    """Play `plan`; returns (the ledger's counters, notes per value put in since the last box)."""
    ledger = await Ledger.open(state, KIOSK)
    inserted, since_box = 0, dict.fromkeys(VALUES, 0)
    for step in plan:
        if step[0] == "pay":
            txn = await ledger.open_payment(account())
            for value in step[1]:
                await ledger.stack_requested(txn, value)
                await ledger.commit_note(txn, value)
                inserted += value
                since_box[value] += 1
            await ledger.close_payment(txn)
        elif step[0] == "inflight":
            # a session cut by a power loss while a note was between STACK and credit
            txn = await ledger.open_payment(account())
            await ledger.stack_requested(txn, step[1])
            await ledger.close()
            ledger = await Ledger.open(state, KIOSK)
            await ledger.recover()
            if step[2]:
                await ledger.commit_in_flight_note()
                inserted += step[1]
                since_box[step[1]] += 1
            else:
                await ledger.drop_in_flight_note()
        elif step[0] == "restart":
            await ledger.close()
            ledger = await Ledger.open(state, KIOSK)
            await ledger.recover()
        else:
            await ledger.reset_counters("BOX")
            since_box = dict.fromkeys(VALUES, 0)
    await ledger.recover()
    records = await ledger.transactions()
    counters = await ledger.counters()
    await ledger.close()

    cash = [r for r in records if r.seq is not None]
    assert sorted(r.seq for r in cash) == list(range(1, len(cash) + 1))  # no gaps
    for record in records:
        assert record.amount == sum(n.value for n in record.notes)  # invariant 3
        assert record.state in ("closed", "cancelled")  # nothing left open
        assert (record.state == "closed") == (record.amount > 0)
    assert sum(r.amount for r in records) == inserted  # no note lost or doubled
    conn = raw(state)
    assert conn.execute("SELECT COUNT(*) FROM stack_intent").fetchone()[0] == 0
    conn.close()
    return counters, {v: n for v, n in since_box.items() if n}


@settings(max_examples=20)
@given(plan=steps)
def test_money_invariants_hold_for_any_sequence(plan: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        counters, expected = asyncio.run(_run(Path(tmp), plan))
    assert counters == expected  # invariant 5
