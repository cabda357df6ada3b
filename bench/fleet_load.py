"""Fleet load on the reference backend: 10,000 simulated kiosks (own keys, signed requests) in a morning peak.

Run from the repository root:
  .venv/bin/python -m bench.fleet_load [--kiosks 10000] [--payments 6000] [--concurrency 64] [--workers 1 2]
Measures `kioskd-backend serve --workers N` over a throwaway local PostgreSQL, then over SQLite
(one worker), as separate processes on loopback. The mix per payment: a look-up before it, a status
report from 1 kiosk in 3, an alert from 1 in 20, a 200-record batch from 1 in 50. Every request is
signed beforehand, so the client's signing does not compete with the server. Prints figures and the
machine's load (uptime); asserts only that every payment was credited once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402

from backend_api.keys import public_b64url  # noqa: E402
from refbackend.store import open_store  # noqa: E402
from tests.refbackend.fleetsim import SimKiosk, ago  # noqa: E402
from tests.refbackend.pgserver import ThrowawayPostgres, find_bindir  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HALLS = 200
ACCOUNTS = 20000


def accounts_file(path: Path) -> Path:
    lines = [f'[[account]]\naccount = "{9000000000 + i}"\nholder = "客*{i % 100}"\nbalance = -50000\n' for i in range(ACCOUNTS)]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def prepare(db: str | Path, kiosks: list[SimKiosk]) -> None:
    store = open_store(db)
    with store.transaction() as sql:
        sql.many("INSERT INTO kiosks (kid, public_key, hall, enabled) VALUES (?, ?, ?, 1)",
                 [(k.kid, public_b64url(k.key), k.hall) for k in kiosks])
    store.close()


def workload(kiosks: list[SimKiosk], payments: int, rng: random.Random) -> list[tuple[str, str, bool]]:
    """(path, JWS, is_payment) in the order of a morning peak, all signed now."""
    from backend_api.jws import sign

    out = []
    for n in range(payments):
        k = rng.choice(kiosks)
        account = str(9000000000 + rng.randrange(ACCOUNTS))
        out.append(("v1/accounts/lookup", sign({"type": "lookup", "kiosk": k.kid, "account": account, "ts": ago(seconds=0)},
                                               k.key, k.kid), False))
        out.append(("v1/payments", sign(k.payment(rng.choice((5000, 10000, 15000, 20000, 50000)), account),
                                        k.key, k.kid), True))
        if n % 3 == 0:
            out.append(("v1/status", sign(k.status(rng.randrange(1400)), k.key, k.kid), False))
        if n % 20 == 0:
            out.append(("v1/alerts", sign({"type": "alert", "kiosk": k.kid, "id": str(uuid.uuid4()),
                                           "code": "printer_paper_low", "severity": "warning", "state": "raised",
                                           "at": ago(seconds=1), "ts": ago(seconds=0), "detail": {}}, k.key, k.kid), False))
        if n % 50 == 0:
            out.append(("v1/batches", batch(k, 200), False))
    return out


def batch(k: SimKiosk, records: int) -> str:
    import hashlib

    from backend_api.jws import sign

    recs = [{**k.payment(5000), "kind": "payment", "status": "credited"} for _ in range(records)]
    k.seq -= records  # batch copies, not new payments
    k.batch_seq += 1
    payload = {"type": "batch", "kiosk": k.kid, "seq": k.batch_seq, "prev": k.prev, "records": recs,
               "audit_head": {"seq": k.batch_seq, "hash": f"{k.batch_seq:064x}"}, "ts": ago(seconds=0)}
    token = sign(payload, k.key, k.kid)
    k.prev = hashlib.sha256(token.encode()).hexdigest()
    return token


async def drive(url: str, work: list[tuple[str, str, bool]], concurrency: int) -> dict:
    queue = iter(work)
    pay_lat, batch_lat, statuses = [], [], {}

    async def one(session: aiohttp.ClientSession) -> None:
        for path, token, is_payment in queue:
            start = time.perf_counter()
            async with session.post(url + path, data=token, headers={"Content-Type": "application/jose"}) as resp:
                await resp.read()
                statuses[(path, resp.status)] = statuses.get((path, resp.status), 0) + 1
            elapsed = time.perf_counter() - start
            if is_payment:
                pay_lat.append(elapsed)
            elif path == "v1/batches":
                batch_lat.append(elapsed)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(one(session) for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "pay": pay_lat, "batch": batch_lat, "statuses": statuses}


def serve(db: str | Path, workers: int, accounts: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "refbackend", "serve", "--db", str(db), "--listen", "127.0.0.1:0",
                             "--workers", str(workers), "--accounts", str(accounts)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"backend did not start: {line!r}")
    return proc, line.split()[2]


def run(label: str, db: str | Path, workers: int, args: argparse.Namespace, accounts: Path) -> None:
    rng = random.Random(7)
    kiosks = [SimKiosk(f"K-{i:05d}", f"H-{i % HALLS:03d}") for i in range(args.kiosks)]
    prepare(db, kiosks)
    proc, url = serve(db, workers, accounts)
    try:
        work = workload(kiosks, args.payments, rng)
        load = os.getloadavg()
        result = asyncio.run(drive(url, work, args.concurrency))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    pay, seconds = sorted(result["pay"]), result["seconds"]
    bad = {k: v for k, v in result["statuses"].items() if k[1] not in (200, 422)}
    q = statistics.quantiles(pay, n=100)
    print(f"{label:<24} workers {workers}: {len(pay) / seconds:7.0f} verified payments/s  p50 {q[49] * 1000:6.1f} ms"
          f"  p99 {q[98] * 1000:6.1f} ms | {len(result['batch']) / seconds:5.1f} batches/s (200 records)"
          f" | {len(work) / seconds:6.0f} requests/s | load {load[0]:.2f} before{'  NOT OK: ' + str(bad) if bad else ''}")
    store = open_store(db)
    with store.transaction() as sql:
        credited = sql.one("SELECT count(*) AS n FROM payments WHERE credited")["n"]
    store.close()
    assert credited == len(pay), f"{credited} credited, {len(pay)} payments sent"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=10000)
    parser.add_argument("--payments", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.kiosks} kiosks in {HALLS} halls,"
          f" {args.payments} payments, {args.concurrency} connections; uptime: {subprocess.getoutput('uptime').strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        accounts = accounts_file(Path(tmp) / "accounts.toml")
        bindir = find_bindir()
        if bindir is None:
            print("PostgreSQL not found (apt-get install postgresql): SQLite only")
        else:
            pg = ThrowawayPostgres(bindir)
            pg.start()
            try:
                for workers in args.workers:
                    run("PostgreSQL", pg.fresh_url(), workers, args, accounts)
            finally:
                pg.stop()
        if not args.no_sqlite:
            run("SQLite", Path(tmp) / "fleet.sqlite3", 1, args, accounts)


if __name__ == "__main__":
    main()
