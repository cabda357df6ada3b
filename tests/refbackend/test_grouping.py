"""Group commit and the key cache: many requests per transaction, each answered only once stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.keys import public_b64url
from refbackend.accounts import DEMO_ACCOUNTS, load_accounts
from refbackend.grouping import ACCOUNT, GroupRunner, Takes
from refbackend.store import open_store
from refbackend.verification import KEY_CACHE_SECONDS, Verifier
from tests.uplink.support import ZHANG, payment_payload

ACCOUNT_NO = ZHANG


@pytest.fixture
def store(db_target: Path | str):
    store = open_store(db_target)
    store.seed_accounts(load_accounts(DEMO_ACCOUNTS))
    yield store
    store.close()


def payment(n: int) -> dict:
    return payment_payload(amount=5000, account_no=ACCOUNT_NO, seq=n + 1)


async def test_calls_queued_together_share_a_transaction_and_one_failure_costs_no_other_its_answer(
        store, db_target: Path | str) -> None:
    runner = GroupRunner(store, threads=2)

    def fails_after_writing() -> None:
        store.record_status("K-BAD", {"type": "status"}, "2026-01-01T00:00:00.000Z")  # written, then rolled back
        raise RuntimeError("this call fails")

    try:
        payments = [payment(n) for n in range(40)]
        calls = [runner.call(store.apply_payment, "K-0001", p, "2026-01-01T00:00:00.000Z",
                             takes=Takes(ACCOUNT, (ACCOUNT_NO,))) for p in payments]
        calls.insert(17, runner.call(fails_after_writing))
        calls.append(runner.call(store.apply_payment, "K-0001", payments[3], "2026-01-01T00:00:01.000Z"))
        answers = await asyncio.gather(*calls, return_exceptions=True)
    finally:
        runner.close()
    failed = answers.pop(17)
    assert isinstance(failed, RuntimeError)
    refs = {a["ref"] for _, a in answers}
    assert [s for s, _ in answers] == [200] * 41 and len(refs) == 40  # the repeat got the first answer
    assert answers[-1] == answers[3]
    balances = sorted(a["balance"] for _, a in answers[:40])
    assert balances == [balances[0] + 5000 * i for i in range(40)]  # one credit each, none lost
    other = open_store(db_target)  # another connection sees every answered payment: stored, not pending
    try:
        assert len(other.credits("K-0001")) == 40
        with other.transaction() as sql:
            assert sql.one("SELECT count(*) AS n FROM kiosk_status WHERE kid = 'K-BAD'")["n"] == 0
    finally:
        other.close()


async def test_the_key_cache_sees_another_process_disable_a_kiosk_within_its_refresh_time(store, db_target) -> None:
    key = Ed25519PrivateKey.generate()
    store.enroll("K-0001", public_b64url(key.public_key()), "H-1")
    other = open_store(db_target)  # `kioskd-backend kiosk disable` in another process
    now = [1000.0]

    async def kiosk(kid: str):
        return store.kiosk(kid)

    async def changes(since: int):
        return store.kiosk_changes(since)

    verifier = Verifier(kiosk, changes, clock=lambda: now[0])
    try:
        await verifier.refresh()
        assert await verifier.public_key("K-0001") is not None
        assert (await verifier._key("K-0001")).enabled is True
        other.set_enabled("K-0001", False)
        late = Ed25519PrivateKey.generate()
        other.enroll("K-0002", public_b64url(late.public_key()), "H-1")
        now[0] += KEY_CACHE_SECONDS / 2
        assert (await verifier._key("K-0001")).enabled is True  # cached for up to KEY_CACHE_SECONDS
        assert await verifier.public_key("K-0002") is not None  # a kiosk enrolled meanwhile: looked up once
        now[0] += KEY_CACHE_SECONDS / 2
        assert (await verifier._key("K-0001")).enabled is False  # refreshed: the change is seen
        other.set_enabled("K-0001", True)
        now[0] += KEY_CACHE_SECONDS
        assert (await verifier._key("K-0001")).enabled is True
    finally:
        other.close()
