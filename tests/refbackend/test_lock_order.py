"""Two workers' group commits on PostgreSQL that touch the same two accounts in opposite order
both commit, each call once: no deadlock (PostgreSQL would abort one after 1 s, its calls retried)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from refbackend.corrections import apply_recredit
from refbackend.grouping import ACCOUNT, GroupRunner, Takes
from refbackend.routes import takes_of
from tests.refbackend.test_corrections import LI, recredit
from tests.refbackend.test_postgres import seeded, wait_for_blocked_sessions
from tests.uplink.support import KIOSK, ZHANG, payment_payload

RECEIVED = "2026-11-23T02:05:00.000Z"


async def test_two_groups_locking_two_accounts_in_opposite_order_both_commit_each_call_once(pg_url: str) -> None:
    a_store, b_store = seeded(pg_url, 2)
    a, b = GroupRunner(a_store), GroupRunner(b_store)  # two worker processes' store threads
    runs: Counter[str] = Counter()
    a_holds_li = threading.Event()

    def counted(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            runs[name] += 1  # a group rolled back by a deadlock runs its calls again: counted twice
            return method(*args)
        return run

    def until_b_waits() -> None:  # in A's group, after its payment to LI: B's group now starts
        a_holds_li.set()
        wait_for_blocked_sessions(pg_url, 1)  # B waits for a lock A holds

    async def grouped(runner: GroupRunner, calls: list[tuple[str, Callable[..., Any], tuple, Takes]]
                      ) -> list[asyncio.Future]:
        """Queue calls while the store thread is held, so that it takes them as one group."""
        held, gate = threading.Event(), threading.Event()

        def hold() -> None:
            held.set()
            gate.wait(10)

        runner.call(hold)
        assert await asyncio.to_thread(held.wait, 10)
        futures = [runner.call(counted(name, method), *args, takes=takes) for name, method, args, takes in calls]
        gate.set()
        return futures

    before = {n: a_store.account(n)["balance"] for n in (LI, ZHANG)}
    pay_li, pay_zhang, pay_li_too = (payment_payload(amount=5000, account_no=n) for n in (LI, ZHANG, LI))
    to_zhang = recredit(None, ZHANG, amount=10000)
    try:
        # A: LI, then (a re-credit) ZHANG; B: ZHANG, then LI
        a_answers = await grouped(a, [
            ("A pays LI", a_store.apply_payment, (KIOSK, pay_li, RECEIVED), takes_of("payment", KIOSK, pay_li)),
            ("A waits", until_b_waits, (), Takes(ACCOUNT, (LI, "~"))),
            ("A recredits ZHANG", apply_recredit, (a_store, KIOSK, to_zhang, RECEIVED),
             takes_of("recredit", KIOSK, to_zhang))])
        assert await asyncio.to_thread(a_holds_li.wait, 10)
        b_answers = await grouped(b, [
            ("B pays ZHANG", b_store.apply_payment, (KIOSK, pay_zhang, RECEIVED),
             takes_of("payment", KIOSK, pay_zhang)),
            ("B pays LI", b_store.apply_payment, (KIOSK, pay_li_too, RECEIVED), takes_of("payment", KIOSK, pay_li_too))])
        answers = await asyncio.wait_for(asyncio.gather(*a_answers, *b_answers), 30)
    finally:
        a.close()
        b.close()
    assert [status for status, _ in (answers[0], answers[2], answers[3], answers[4])] == [200] * 4
    assert runs == dict.fromkeys(
        ["A pays LI", "A waits", "A recredits ZHANG", "B pays ZHANG", "B pays LI"], 1)  # none retried
    assert a_store.account(LI)["balance"] == before[LI] + 10000
    assert a_store.account(ZHANG)["balance"] == before[ZHANG] + 15000
    for store in (a_store, b_store):
        store.close()
