"""Fleet load on the reference backend: 10,000 simulated kiosks (own keys, signed requests) in a morning peak.

Run from the repository root:
  .venv/bin/python -m bench.fleet_load [--kiosks 10000] [--payments 6000] [--concurrency 64] [--workers 1 2]
                                       [--repeat 2] [--no-sqlite] [--callgrind 400]
Measures `kioskd-backend serve --workers N` over a throwaway local PostgreSQL, then over SQLite,
as separate processes on loopback. The mix per payment: a look-up before it, a status report from
1 kiosk in 3, an alert from 1 in 20, a 200-record batch from 1 in 50. Every request is signed and
encoded beforehand and sent over kept-alive connections (fleet_client.py), so the generator takes
little of the two cores; what it and each side take is printed as CPU ms per payment, with the
machine's load. Every kiosk has a status report and an ended custody session before the run, and
the operator's fleet API is timed on them. --callgrind N counts the server's instructions per
request under valgrind (one worker; unlike times, independent of the machine's load).
Asserts only that every payment was credited once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend_api.jws import sign  # noqa: E402
from backend_api.keys import public_b64url  # noqa: E402
from bench.fleet_client import CpuMeter, Request, descendants, drive, encode  # noqa: E402
from bench.fleet_view import time_fleet_view  # noqa: E402
from refbackend.operators import add_operator  # noqa: E402
from refbackend.store import open_store  # noqa: E402
from refbackend.testbed.kiosks import SimKiosk, ago  # noqa: E402
from refbackend.testbed.postgres import ThrowawayPostgres, find_bindir  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HALLS = 200
ACCOUNTS = 20000
OPERATOR, PASSWORD = "bench", "bench-password-1"


def accounts_file(path: Path) -> Path:
    lines = [f'[[account]]\naccount = "{9000000000 + i}"\nholder = "客*{i % 100}"\nbalance = -50000\n' for i in range(ACCOUNTS)]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def prepare(db: str | Path, kiosks: list[SimKiosk], rng: random.Random) -> None:
    """Enrol the kiosks; give each a status report and an ended custody session, as a fleet has."""
    store = open_store(db)
    with store.transaction() as sql:
        sql.many("INSERT INTO kiosks (kid, public_key, hall, enabled) VALUES (?, ?, ?, 1)",
                 [(k.kid, public_b64url(k.key), k.hall) for k in kiosks])
    for chunk in range(0, len(kiosks), 500):  # few transactions: this is the fleet's past, not the load measured
        with store.group():
            for k in kiosks[chunk:chunk + 500]:
                store.record_status(k.kid, k.status(rng.randrange(1400)), ago(seconds=60))
                payload, token = k.custody_batch(str(uuid.uuid4()), ago(days=2), {5000: 300}, {5000: 300},
                                                 ago(hours=20), ago(hours=20))
                store.apply_batch(k.kid, payload, token, ago(hours=20))
    add_operator(store, OPERATOR, "Bench", PASSWORD)
    store.close()


def workload(host: str, kiosks: list[SimKiosk], payments: int, rng: random.Random) -> list[Request]:
    """The requests of a morning peak in order, all signed and encoded now."""
    out = []
    for n in range(payments):
        k = rng.choice(kiosks)
        account = str(9000000000 + rng.randrange(ACCOUNTS))
        lookup = {"type": "lookup", "kiosk": k.kid, "account": account, "ts": ago(seconds=0)}
        out.append(encode(host, "v1/accounts/lookup", sign(lookup, k.key, k.kid)))
        payment = k.payment(rng.choice((5000, 10000, 15000, 20000, 50000)), account)
        out.append(encode(host, "v1/payments", sign(payment, k.key, k.kid)))
        if n % 3 == 0:
            out.append(encode(host, "v1/status", sign(k.status(rng.randrange(1400)), k.key, k.kid)))
        if n % 20 == 0:
            alert = {"type": "alert", "kiosk": k.kid, "id": str(uuid.uuid4()), "code": "printer_paper_low",
                     "severity": "warning", "state": "raised", "at": ago(seconds=1), "ts": ago(seconds=0), "detail": {}}
            out.append(encode(host, "v1/alerts", sign(alert, k.key, k.kid)))
        if n % 50 == 0:
            records = [{**k.payment(5000), "kind": "payment", "status": "credited"} for _ in range(200)]
            k.seq -= len(records)  # copies of payments in the batch, not new ones
            out.append(encode(host, "v1/batches", k.batch(records)[1]))
    return out


def serve(db: str | Path, workers: int, accounts: Path, wrap: list[str] = ()) -> tuple[subprocess.Popen, str, int]:
    proc = subprocess.Popen([*wrap, sys.executable, "-m", "refbackend", "serve", "--db", str(db),
                             "--listen", "127.0.0.1:0", "--workers", str(workers), "--accounts", str(accounts)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"backend did not start: {line!r}")
    url = line.split()[2]
    host, port = url.split("//")[1].rstrip("/").rsplit(":", 1)
    return proc, host, int(port)


def quantiles_ms(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49] * 1000:6.1f} ms  p99 {q[98] * 1000:6.1f} ms"


def run(label: str, db: str | Path, workers: int, args: argparse.Namespace, accounts: Path,
        postmaster: int | None) -> float:
    """One configuration's run: prints its figures, returns verified payments/s."""
    rng = random.Random(7)
    kiosks = [SimKiosk(f"K-{i:05d}", f"H-{i % HALLS:03d}") for i in range(args.kiosks)]
    prepare(db, kiosks, rng)
    proc, host, port = serve(db, workers, accounts)
    try:
        warm = workload(host, kiosks, 100, rng)  # connections, prepared statements, caches
        work = workload(host, kiosks, args.payments, rng)
        asyncio.run(drive(host, port, warm, args.concurrency))
        meter = CpuMeter(server=proc.pid, **({"postgres": postmaster} if postmaster else {}))
        # SO_REUSEPORT hands each connection to one worker by a hash: their CPU shows how evenly
        split = CpuMeter(**{f"worker {n + 1}": pid for n, pid in enumerate(descendants(proc.pid)[1:])})
        load, own = os.getloadavg()[0], resource.getrusage(resource.RUSAGE_SELF)
        meter.start()
        split.start()
        result = asyncio.run(drive(host, port, work, args.concurrency))
        spent, shares = meter.stop(), split.stop()
        after = resource.getrusage(resource.RUSAGE_SELF)
        spent["generator"] = after.ru_utime - own.ru_utime + after.ru_stime - own.ru_stime
        view = time_fleet_view(host, port, OPERATOR, PASSWORD)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    pay = result.latency["v1/payments"]
    batches = len(result.latency.get("v1/batches", []))
    requests = sum(len(v) for v in result.latency.values())
    bad = {k: v for k, v in result.statuses.items() if k[1] not in (200, 422)}
    cpu = "  ".join(f"{name} {1000 * s / len(pay):.2f}" for name, s in spent.items())
    total = sum(spent.values())
    print(f"{label:<10} workers {workers}: {len(pay) / result.seconds:6.0f} verified payments/s  {quantiles_ms(pay)}"
          f" | {batches / result.seconds:4.1f} batches/s  batch {quantiles_ms(result.latency['v1/batches'])}"
          f" | {requests / result.seconds:5.0f} requests/s | load {load:.1f}"
          f"{'  NOT OK: ' + str(bad) if bad else ''}")
    print(f"{'':<10} CPU ms per payment (with its share of the mix): {cpu}; total {1000 * total / len(pay):.2f}"
          f" = {total / result.seconds:.2f} of 2 cores busy; ceiling at full 2 cores ~{2 * len(pay) / total:.0f}"
          f" payments/s{_split(shares)}")
    print(f"{'':<10} fleet API (/operator/api/fleet, {args.kiosks} kiosks): {view}")
    store = open_store(db)
    with store.transaction() as sql:
        credited = sql.one("SELECT count(*) AS n FROM payments WHERE credited")["n"]
    store.close()
    assert credited == len(pay) + 100, f"{credited} credited, {len(pay) + 100} payments sent"
    return len(pay) / result.seconds


def growth(label: str, rates: dict[int, list[float]]) -> None:
    """How payments/s grew from the fewest workers to the most (each run's figure, in run order)."""
    if len(rates) > 1:
        low, high = min(rates), max(rates)
        runs = ", ".join(f"{b / a:.2f}" for a, b in zip(rates[low], rates[high], strict=True))
        print(f"{label:<10} growth {low} -> {high} workers: x{runs}")


def _split(shares: dict[str, float]) -> str:
    if len(shares) < 2:
        return ""
    total = sum(shares.values()) or 1.0
    return "; server CPU by worker: " + " / ".join(f"{100 * s / total:.0f}%" for s in shares.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=10000)
    parser.add_argument("--payments", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1, help="run each configuration this many times")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--callgrind", type=int, default=0, metavar="N", help="instructions per request over N requests")
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
                postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
                rates: dict[int, list[float]] = {}
                for _ in range(args.repeat):
                    for workers in args.workers:
                        rates.setdefault(workers, []).append(
                            run("PostgreSQL", pg.fresh_url(), workers, args, accounts, postmaster))
                growth("PostgreSQL", rates)
                if args.callgrind:
                    from bench.fleet_callgrind import instructions_per_request

                    print(instructions_per_request("PostgreSQL", pg.fresh_url(), args, accounts))
            finally:
                pg.stop()
        if not args.no_sqlite:
            rates = {}
            for n in range(args.repeat):
                for workers in args.workers:
                    rates.setdefault(workers, []).append(
                        run("SQLite", Path(tmp) / f"fleet-{n}-{workers}.sqlite3", workers, args, accounts, None))
            growth("SQLite", rates)
            if args.callgrind:
                from bench.fleet_callgrind import instructions_per_request

                print(instructions_per_request("SQLite", Path(tmp) / "callgrind.sqlite3", args, accounts))
    print(f"uptime after: {subprocess.getoutput('uptime').strip()}")


if __name__ == "__main__":
    main()
