"""Restart after a crash: what the journal holds and what recover() makes of it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from kioskd.ledger import Ledger
from tests.ledger.conftest import KIOSK, account, credit, paid

REPO = Path(__file__).resolve().parents[2]

# A kiosk process that pays notes into one txn and says so after each durable commit.
_WRITER = """
import asyncio, sys
from pathlib import Path
from kioskd.ledger import Ledger
from statemachine.ports import AccountInfo

async def main():
    ledger = await Ledger.open(Path(sys.argv[1]), "K-0001")
    txn = await ledger.open_payment(AccountInfo("0012345678", "h", 1, -1, "CNY", 100, 10**9))
    print("txn", txn, flush=True)
    n = 0
    while True:
        await ledger.stack_requested(txn, 1000)
        await ledger.commit_note(txn, 1000)
        n += 1
        print("committed", n, flush=True)

asyncio.run(main())
"""


async def test_open_txns_are_ended_after_the_ledger_is_dropped(tmp_path: Path) -> None:
    crashed = await Ledger.open(tmp_path, KIOSK)
    done = await paid(crashed, 5000)
    await crashed.settle(done, "credited", balance=0, ref="B-1")
    pending = await paid(crashed, 2000)
    await crashed.settle(pending, "pending", reason="timeout")
    closed_unsent = await paid(crashed, 1000)
    with_cash = await crashed.open_payment(account())
    await credit(crashed, with_cash, 10000)
    await credit(crashed, with_cash, 500)
    empty = await crashed.open_payment(account())
    # no close(): the process is gone as far as the file is concerned

    restarted = await Ledger.open(tmp_path, KIOSK)
    to_submit = await restarted.recover()
    assert to_submit == [pending, closed_unsent, with_cash]
    recovered = await restarted.transaction(with_cash)
    assert recovered is not None
    assert (recovered.state, recovered.amount, recovered.seq) == ("closed", 10500, 4)
    assert recovered.ended == recovered.notes[-1].at
    assert (await restarted.transaction(empty)).state == "cancelled"  # type: ignore[union-attr]
    assert (await restarted.transaction(done)).state == "credited"  # type: ignore[union-attr]
    assert await restarted.recover() == to_submit  # recovery twice changes nothing
    await restarted.close()
    await crashed.close()


async def test_sigkill_mid_write_loses_no_committed_note(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _WRITER, str(tmp_path),
        cwd=REPO, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None
    try:
        txn = (await asyncio.wait_for(proc.stdout.readline(), 20)).split()[1].decode()
        reported = 0
        while reported < 25:
            reported = int((await asyncio.wait_for(proc.stdout.readline(), 20)).split()[1])
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    # the writer went on committing until the kill landed: count what it said before dying
    for line in (await proc.stdout.read()).splitlines():
        reported = int(line.split()[1])

    ledger = await Ledger.open(tmp_path, KIOSK)
    assert await ledger.recover() == [txn]
    record = await ledger.transaction(txn)
    assert record is not None
    # every note the writer saw committed is there; at most the one in progress more
    assert reported <= len(record.notes) <= reported + 1
    assert record.amount == 1000 * len(record.notes)
    assert (record.state, record.seq) == ("closed", 1)
    assert await ledger.counters() == {1000: len(record.notes)}
    await ledger.close()
