"""SIGKILL the real daemon at seeded random moments of payments; then check the money.

The validator and printer emulators and the reference backend live in this process,
so they outlive every kill and keep their own independent counts. The daemon runs as
`kioskd run --config FILE` with its devices on the emulators' ptys.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from drivers.printer.emulator import EscposEmulator
from kioskd.sim.hardware import validator_emulator
from kioskd.uplink.keys import init_key, load_key, public_b64url
from refbackend import ReferenceBackend
from tests.daemon import ROOT, STEP, RunningKiosk

KIOSK = "K-CRASH-1"
ACCOUNTS = ("0012345678", "0023456789")
NOTE_VALUES = (100, 500, 1000, 2000, 5000, 10000)


@dataclass
class Findings:
    """What the final check found."""

    kill_points: int = 0
    lost: int = 0
    double_credited: int = 0
    in_doubt: int = 0  # notes kept in doubt (a validator that could not tell their fate)
    problems: list[str] = field(default_factory=list)

    def line(self, what: str = "kill points") -> str:
        doubt = f", {self.in_doubt} in doubt" if self.in_doubt else ""
        return (f"{self.kill_points} {what}, {self.lost} lost, "
                f"{self.double_credited} double credited{doubt}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CrashWorld:
    """Emulators + backend in this process; the daemon as a killable subprocess."""

    def __init__(self, root: Path, seed: int, driver: str = "id003", **emulator: object) -> None:
        self.root, self.rng, self.seed, self.driver = root, random.Random(seed), seed, driver
        self.state = root / "state"
        self.control_socket = self.state / "control.sock"
        self.env: dict[str, str] = {}  # added to the daemon's environment
        self.backend_config = "timeout = 2.0"  # the [backend] keys after url
        self.extra_config = ""  # more config sections (e.g. [staff_page])
        self.validator = validator_emulator(driver, **emulator)  # e.g. older SSP firmware
        self.printer = EscposEmulator()
        self.backend = ReferenceBackend(root / "backend.sqlite3")
        self.proc: asyncio.subprocess.Process | None = None
        self.kiosk: RunningKiosk | None = None
        self.port = free_port()
        self.log = open(root / "daemon.log", "ab")  # noqa: SIM115 - kept for the whole run

    async def start(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        (self.root / "screen-key").mkdir(exist_ok=True)  # tmpfiles makes it on /run
        key_path = self.state / "kiosk.key"
        init_key(key_path)
        self.backend.enroll(KIOSK, public_b64url(load_key(key_path)))
        url = await self.backend.start()
        await self.validator.start()
        await self.printer.start()
        (self.root / "kioskd.toml").write_text(f"""
[kiosk]
id = "{KIOSK}"
name = "Crash Hall"
[validator]
driver = "{self.driver}"
port = "{self.validator.port}"
poll_interval = 0.05
[printer]
port = "{self.printer.port}"
[keypad]
driver = "screen"
[backend]
url = "{url}"
{self.backend_config}
[storage]
path = "{self.state}"
[screen]
listen = "127.0.0.1:{self.port}"
key_dir = "{self.root / 'screen-key'}"
[control]
socket = "{self.control_socket}"
[voice]
enabled = false
{self.extra_config}""", encoding="utf-8")

    async def launch(self) -> RunningKiosk:
        """Start the daemon and wait for its idle screen."""
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kioskd", "run", "--config", str(self.root / "kioskd.toml"),
            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            stdout=self.log, stderr=asyncio.subprocess.PIPE,
        )
        assert self.proc.stderr is not None
        while True:
            line = await asyncio.wait_for(self.proc.stderr.readline(), STEP)
            if not line:
                raise AssertionError(f"daemon died at start-up; see {self.root / 'daemon.log'}")
            self.log.write(line)
            if line.rstrip().endswith(b"kioskd: ready"):
                break
        asyncio.create_task(self._copy_stderr(self.proc.stderr))
        # the screen's per-boot secret (kept in key_dir across the daemon's restarts, as on /run)
        key = (self.root / "screen-key" / "key").read_text(encoding="ascii").strip()
        self.kiosk = RunningKiosk(self.proc, f"http://127.0.0.1:{self.port}/?k={key}", self.state)
        await self.kiosk.connect()
        await self.kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        return self.kiosk

    async def _copy_stderr(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.log.write(line)
            self.log.flush()

    async def kill(self) -> None:
        """SIGKILL: no clean-up at all, as a power cut or the watchdog would."""
        assert self.proc is not None and self.kiosk is not None
        self.proc.kill()
        await self.proc.wait()
        await self.kiosk.stop()
        self.proc = self.kiosk = None

    async def payment_with_a_kill(self) -> str:
        """One payment, killed at a random moment; returns where."""
        kiosk = self.kiosk or await self.launch()
        notes = [self.rng.choice(NOTE_VALUES[:4]) for _ in range(self.rng.randint(1, 3))]
        kill_after = self.rng.randint(0, len(notes) + 1)  # 0: empty cash step; n+1: after finish
        delay = self.rng.uniform(0.0, 0.25)
        await kiosk.press(*self.rng.choice(ACCOUNTS), "confirm")
        await kiosk.until(lambda s: s["state"] == "payment_confirm", "confirmation")
        await kiosk.press("confirm")
        await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "the cash step")
        where = "cash step, no notes"
        if kill_after > 0:
            for i, value in enumerate(notes, 1):
                counted = len(kiosk.snapshot["notes"])
                self.validator.insert(value)
                if i == kill_after:
                    where = f"note {i} of {len(notes)} in flight (+{delay * 1000:.0f} ms)"
                    break
                await kiosk.until(lambda s, c=counted: len(s["notes"]) > c, f"note {i} counted")
            else:
                await kiosk.until(lambda s: s["state"] == "payment_cash_waiting", "ready to finish")
                await kiosk.press("finish")
                where = f"after finish (+{delay * 1000:.0f} ms)"
        await asyncio.sleep(delay)  # the kill moment itself is the random variable here
        await self.kill()
        return where

    async def settle(self) -> None:
        """Run the daemon until every payment has a definite backend answer."""
        kiosk = self.kiosk or await self.launch()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while self._unsettled():
            assert loop.time() < deadline, f"unsettled payments remain: {self._unsettled()}"
            await asyncio.sleep(0.2)  # polling the journal file, bounded by the deadline
        assert await kiosk.stop() == 0
        self.proc = self.kiosk = None

    def _journal(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.state / 'journal.sqlite3'}?mode=ro", uri=True)

    def _unsettled(self) -> list[tuple]:
        with self._journal() as db:
            return db.execute(
                "select seq, state from txns where state in ('open', 'closed', 'pending')"
            ).fetchall()

    def check(self, findings: Findings) -> Findings:
        """The money invariants against independent counts."""
        stacked = Counter(self.validator.stacked)
        with self._journal() as db:
            journal = Counter(v for (v,) in db.execute("select value from notes"))
            in_payments = Counter(v for (v,) in db.execute(
                "select n.value from notes n join txns t on t.id = n.txn "
                "where t.state in ('credited', 'pending', 'flagged')"))
            counters = Counter({v: c for v, c in db.execute("select value, count from counters") if c})
            for (counts,) in db.execute("select counts from box_changes"):  # boxes emptied since
                counters.update({int(v): c for v, c in json.loads(counts).items() if c})
            credited = dict(db.execute("select id, amount from txns where state = 'credited'"))
            flagged = db.execute("select seq, reason from txns where state = 'flagged'").fetchall()
            # a note whose fate the validator could not tell is kept in doubt, never dropped
            doubts = Counter(v for (v,) in db.execute("select value from doubt_notes"))
        backend = self.backend.credits(KIOSK)
        findings.in_doubt = sum(doubts.values())
        missing = stacked - journal - doubts
        findings.lost = sum(missing.values())
        if missing:
            findings.problems.append(f"stacked by the validator but neither in the journal nor in doubt: "
                                     f"{dict(missing)}")
        stacked = stacked - (stacked - journal)  # the notes in doubt are in no payment and no counter
        if journal - stacked:
            findings.problems.append(f"journalled but never stacked: {dict(journal - stacked)}")
        if in_payments != journal:
            findings.problems.append("journal notes outside credited/pending/flagged payments: "
                                     f"{dict(journal - in_payments)}")
        if counters != stacked:
            findings.problems.append(f"cash-box counters (this box and those emptied) {dict(counters)} "
                                     f"!= stacked {dict(stacked)}")
        extra = set(backend) - set(credited)
        findings.double_credited = len(extra)
        if backend != credited:
            findings.problems.append(f"backend credits {backend} != kiosk credited {credited}")
        if flagged:
            findings.problems.append(f"flagged payments: {flagged}")
        return findings

    async def close(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if self.kiosk is not None:
            await self.kiosk.stop()
        await self.validator.stop()
        await self.printer.stop()
        await self.backend.stop()
        self.log.close()


async def run(root: Path, seed: int, kill_points: int, report: bool = False,
              driver: str = "id003", **emulator: object) -> Findings:
    """The whole harness: `kill_points` killed payments, then the final check."""
    world = CrashWorld(root, seed, driver, **emulator)
    findings = Findings()
    try:
        await world.start()
        for i in range(kill_points):
            where = await world.payment_with_a_kill()
            findings.kill_points += 1
            if report:
                print(f"  kill {i + 1:4}: {where}", flush=True)
        await world.settle()
        return world.check(findings)
    finally:
        await world.close()
