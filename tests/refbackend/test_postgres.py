"""The PostgreSQL store on a real server: concurrent duplicates credited once, same reports as SQLite, CLI."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import socket
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jws import sign
from kioskd.uplink.keys import public_b64url
from refbackend import ReferenceBackend
from refbackend.__main__ import main
from refbackend.pgstore import PostgresStore
from refbackend.server import DEMO_ACCOUNTS, load_accounts
from refbackend.store import BackendStore, SQLiteStore, open_store
from tests.refbackend.test_witness import entries
from tests.uplink.support import KIOSK, ZHANG, payment_payload

ROOT = Path(__file__).resolve().parents[2]
ZERO = "0" * 64
RECEIVED = "2026-11-23T02:05:00.000Z"


def seeded(target: Path | str, n: int = 1) -> list[BackendStore]:
    """n stores on one database (n connections), demo accounts seeded."""
    stores = [open_store(target) for _ in range(n)]
    stores[0].seed_accounts(load_accounts(DEMO_ACCOUNTS))
    return stores


def wait_for_blocked_sessions(url: str, count: int, timeout: float = 10.0) -> None:
    """Return once `count` server sessions wait for a lock (bounded), so the race is really on."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            waiting = conn.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted").fetchone()[0]
            if waiting >= count:
                return
            assert time.monotonic() < deadline, f"only {waiting} of {count} sessions reached the lock"
            time.sleep(0.01)


HEAD_1 = entries(1, 1, ZERO)[0]["hash"]


def batch_payload(seq: int, prev: str, records: int, first: int = 1, after: str = ZERO, tag: str = "a") -> dict:
    """Batch `seq` with `records` real audit entries from `first`; its head is the last of them."""
    chain = entries(first, records, after, tag)
    return {"type": "batch", "kiosk": KIOSK, "seq": seq, "prev": prev, "records": chain,
            "audit_head": {"seq": chain[-1]["seq"], "hash": chain[-1]["hash"]}, "ts": RECEIVED}


def test_concurrent_duplicates_are_credited_once_and_a_changed_payload_is_409(pg_url: str) -> None:
    stores = seeded(pg_url, 5)
    payload = payment_payload(amount=15000)
    changed = payment_payload(txn=payload["txn"], amount=10000)
    submissions = [payload, payload, changed, payload, payload]
    holder = psycopg.connect(pg_url)
    try:
        # Readers pass, writers wait: every submission sees no payment yet, then all write at once.
        holder.execute("LOCK TABLE payments IN EXCLUSIVE MODE")
        with ThreadPoolExecutor(len(stores)) as pool:
            futures = [pool.submit(s.apply_payment, KIOSK, p, RECEIVED) for s, p in zip(stores, submissions, strict=True)]
            wait_for_blocked_sessions(pg_url, len(stores))
            holder.commit()
            answers = [f.result(timeout=10) for f in futures]
    finally:
        holder.close()
    credited = [(p, a) for p, a in zip(submissions, answers, strict=True) if a[0] == 200]
    winner, answer = credited[0]
    for submitted, got in zip(submissions, answers, strict=True):
        assert got == (answer if submitted == winner else (409, {"error": "conflict"}))
    assert answer[1]["balance"] == -12350 + winner["amount"]
    assert stores[0].credits(KIOSK) == {payload["txn"]: winner["amount"]}
    assert stores[0].account(ZHANG)["balance"] == -12350 + winner["amount"]
    assert len(stores[0].report()["payments"]) == 1
    for s in stores:
        s.close()


def test_concurrent_batches_of_one_seq_accept_one_and_fork_the_other(pg_url: str) -> None:
    stores = seeded(pg_url, 2)
    first, second = batch_payload(1, ZERO, 1), batch_payload(1, ZERO, 2, tag="b")
    holder = psycopg.connect(pg_url)
    try:
        holder.execute("LOCK TABLE batches IN EXCLUSIVE MODE")  # as above: both may read, neither write
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(s.apply_batch, KIOSK, p, f"jws-{p['audit_head']['seq']}", RECEIVED)
                       for s, p in zip(stores, (first, second), strict=True)]
            wait_for_blocked_sessions(pg_url, 2)
            holder.commit()
            answers = sorted(f.result(timeout=10) for f in futures)
    finally:
        holder.close()
    assert answers[0] == (200, {"seq": 1, "status": "accepted"})
    assert answers[1][0] == 409 and answers[1][1]["error"] == "fork"
    [head] = stores[0].report()["audit_heads"]
    assert head["batch_seq"] == 1 and head["audit_seq"] in (1, 2)
    for s in stores:
        s.close()


def exercise(store: BackendStore) -> None:
    """The same history for any store: payments (credited, repeated, 422, 409), alerts, a chain."""
    store.seed_accounts(load_accounts(DEMO_ACCOUNTS))
    for i, (amount, account_no) in enumerate([(15000, ZHANG), (5000, "0099999999"), (10000, ZHANG)]):
        payload = payment_payload(txn=f"00000000-0000-4000-8000-00000000000{i}", amount=amount, account_no=account_no,
                                  seq=i + 1)
        if i == 2:
            payload["ended"] = "2026-11-23T17:00:01.000Z"  # 01:00:01 the next day in the halls (Asia/Shanghai)
        store.apply_payment(KIOSK, payload, RECEIVED)
        store.apply_payment(KIOSK, payload, RECEIVED)
    store.apply_payment(KIOSK, payment_payload(txn="00000000-0000-4000-8000-000000000000", amount=5000), RECEIVED)
    for state in ("raised", "raised", "cleared"):
        store.record_alert(KIOSK, {"id": "a-1", "state": state, "code": "door_open", "severity": "warning",
                                   "at": "2026-11-23T02:00:00.000Z", "detail": {"门": "前"}}, RECEIVED)
    store.apply_batch(KIOSK, batch_payload(1, ZERO, 1), "jws-one", RECEIVED)
    store.apply_batch(KIOSK, batch_payload(2, hashlib.sha256(b"jws-one").hexdigest(), 1, first=2, after=HEAD_1),
                      "jws-two", RECEIVED)


def test_postgres_reports_exactly_what_sqlite_reports(pg_url: str, tmp_path: Path) -> None:
    sqlite, postgres = SQLiteStore(tmp_path / "b.sqlite3"), PostgresStore(pg_url)
    try:
        exercise(sqlite)
        exercise(postgres)
        expected = sqlite.report()
        assert postgres.report() == expected
        # credited per local day of the payments' `ended`, as the kiosk's daily close counts them
        assert expected["totals"] == [
            {"kiosk": KIOSK, "day": "2026-11-23", "payments": 1, "amount": 15000},
            {"kiosk": KIOSK, "day": "2026-11-24", "payments": 1, "amount": 10000},
        ]
        utc = ZoneInfo("UTC")  # a fleet whose [fleet] timezone is UTC: one day
        assert postgres.report(utc)["totals"] == sqlite.report(utc)["totals"] == [
            {"kiosk": KIOSK, "day": "2026-11-23", "payments": 2, "amount": 25000}]
        assert [a["state"] for a in expected["alerts"]] == ["raised", "cleared"]
        assert expected["audit_heads"] == [{"kiosk": KIOSK, "batch_seq": 2, "audit_seq": 2,
                                            "audit_hash": entries(2, 1, HEAD_1)[0]["hash"]}]
        assert [p["reason"] for p in expected["payments"]] == [None, "account_blocked", None]
        for number in (ZHANG, "0099999999", "0000000001"):
            assert postgres.account(number) == sqlite.account(number)
        assert postgres.credits(KIOSK) == sqlite.credits(KIOSK)
    finally:
        sqlite.close()
        postgres.close()


def test_a_reopened_store_keeps_balances_and_answers(pg_url: str) -> None:
    [store] = seeded(pg_url)
    payload = payment_payload()
    first = store.apply_payment(KIOSK, payload, RECEIVED)
    store.close()
    [store] = seeded(pg_url)  # seeding again must not reset the credited balance
    assert store.account(ZHANG)["balance"] == -12350 + 15000
    assert store.apply_payment(KIOSK, payload, RECEIVED) == first
    store.close()


async def test_two_backends_on_one_database_credit_a_txn_once(pg_url: str) -> None:
    key = Ed25519PrivateKey.generate()
    backends = [ReferenceBackend(pg_url), ReferenceBackend(pg_url)]
    assert backends[0].db_path == pg_url  # a URL is not folded into a Path
    backends[0].enroll(KIOSK, key.public_key())  # the other one finds the key in the shared database
    token = sign(payment_payload(amount=15000), key, KIOSK)
    try:
        urls = [await b.start() for b in backends]
        async with aiohttp.ClientSession() as session:

            async def pay(url: str) -> tuple[int, dict]:
                async with session.post(url + "v1/payments", data=token) as resp:
                    return resp.status, await resp.json()

            answers = await asyncio.gather(*(pay(urls[i % 2]) for i in range(8)))
    finally:
        for b in backends:
            await b.stop()
            b.close()
    assert answers[0][0] == 200 and all(a == answers[0] for a in answers)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*), sum(amount) FROM payments WHERE credited").fetchone() == (1, 15000)


async def test_serve_and_report_on_postgres(pg_url: str, capsys) -> None:
    key = Ed25519PrivateKey.generate()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "refbackend", "serve", "--listen", "127.0.0.1:0", "--db", pg_url,
        "--enroll", f"{KIOSK}={public_b64url(key)}",
        stdout=asyncio.subprocess.PIPE, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        async with asyncio.timeout(20):
            line = (await proc.stdout.readline()).decode()
        assert line.startswith("listening on http://127.0.0.1:")
        payload = payment_payload(txn=str(uuid.uuid4()), amount=10000)
        async with aiohttp.ClientSession() as session:
            async with session.post(line.split()[-1] + "v1/payments", data=sign(payload, key, KIOSK)) as resp:
                assert resp.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            assert await proc.wait() == 0
    assert main(["report", "--db", pg_url]) == 0
    out = capsys.readouterr().out
    assert payload["txn"] in out and "B-000001" in out
    assert f"{KIOSK}  2026-11-23      1 payments        10000 fen" in out


def test_an_unreachable_server_is_a_clear_error_without_the_password(capsys) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # bound, not listening: connections are refused
        url = f"postgresql://kiosk:s3cret@127.0.0.1:{closed}/backend"
        assert main(["report", "--db", url]) == 1
        assert main(["serve", "--db", url]) == 78
    err = capsys.readouterr().err
    assert f"PostgreSQL store postgresql://kiosk@127.0.0.1:{closed}/backend" in err
    assert "s3cret" not in err
