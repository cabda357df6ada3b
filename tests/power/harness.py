"""Power cuts: the crash harness with the state folder on a file system that forgets.

The daemon's state folder (journal, keys, state files) is a tests.power.lazyfs mount. At a
seeded random moment of a payment (or of a `kioskctl backup` running beside it) the daemon is
SIGKILLed and every write not yet made durable is dropped; the next start runs on the bytes a
real disk would have kept. Beyond the crash harness's money checks, the restarts must tell
the truth: each one after a cut says so (and raises power_restored), the unchanged config is
recorded as changed only once, the audit chain holds, and a backup that exists is whole.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.crash.harness import CrashWorld, Findings
from tests.daemon import ROOT, RunningKiosk
from tests.power.mount import LazyMount

UNCLEAN = "did not stop cleanly"
CUSTODY_SHARE = 0.08  # of the rounds: a custody session instead of a payment
TECHS = (("7001", "246810"), ("7002", "135791"))
CUSTODY_STEPS = ("open", "login", "box_out", "box_in", "count", "end")


async def kioskctl(*args: str, stdin: str = "") -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kioskd.cli.main", *args, cwd=ROOT, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate(stdin.encode())
    assert proc.returncode == 0, f"kioskctl {' '.join(args)}: {out.decode()}"


class PowerWorld(CrashWorld):
    """CrashWorld whose kill is a power cut of the state folder."""

    def __init__(self, root: Path, seed: int, driver: str = "id003") -> None:
        super().__init__(root, seed, driver)
        self.control_socket = root / "control.sock"  # a socket is not state: keep it off the mount
        self.mount = LazyMount(self.state, root / "lazyfs.log")
        self.cuts = 0
        self.backup: asyncio.subprocess.Process | None = None
        self.techs_added = False

    async def start(self) -> None:
        await self.mount.start()
        await super().start()

    async def kill(self) -> None:
        """The power goes: the daemon (and a backup beside it) stops, unsynced writes are lost."""
        if self.backup is not None and self.backup.returncode is None:
            self.backup.kill()
        await super().kill()
        if self.backup is not None:
            await self.backup.wait()
            self.backup = None
        await self.mount.cut()
        self.cuts += 1

    async def payment_with_a_kill(self) -> str:
        if self.kiosk is None:
            await self.launch()
        if self.rng.random() < CUSTODY_SHARE:
            return await self.custody_with_a_cut()
        if self.rng.random() < 0.2:
            self.backup = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "kioskd.cli.main", "backup", str(self.state / "backup.sqlite3"),
                "--config", str(self.root / "kioskd.toml"), cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )
            return "backup running; " + await super().payment_with_a_kill()
        return await super().payment_with_a_kill()

    async def custody_with_a_cut(self) -> str:
        """A dual-custody session (box out and back, blind count) cut at a random step."""
        kiosk = self.kiosk
        assert kiosk is not None
        if not self.techs_added:
            for tech, pin in TECHS:
                await kioskctl("tech", "--state", str(self.state), "add", tech, "--name", f"Tech {tech}",
                               "--pin-stdin", stdin=pin + "\n")
            self.techs_added = True
        cut_after = self.rng.randint(1, len(CUSTODY_STEPS))
        for step, name in enumerate(CUSTODY_STEPS, 1):
            await getattr(self, f"_custody_{name}")(kiosk)
            if step == cut_after:
                break
        await asyncio.sleep(self.rng.uniform(0.0, 0.1))  # the cut moment
        await self.kill()
        self.validator.faults["box_removed"] = False  # the technician puts the box back
        return f"custody session, cut after {CUSTODY_STEPS[cut_after - 1]}"

    async def _custody_open(self, kiosk: RunningKiosk) -> None:
        await kioskctl("cashbox", "open", "--socket", str(self.control_socket))
        await kiosk.until(lambda s: s["state"] == "maintenance_login", "the technician login")

    async def _custody_login(self, kiosk: RunningKiosk) -> None:
        for tech, pin in TECHS:
            await kiosk.press(*tech, "confirm", *pin, "confirm")
        await kiosk.until(lambda s: s["state"] == "maintenance_open", "the box released")

    async def _custody_box_out(self, kiosk: RunningKiosk) -> None:
        self.validator.faults["box_removed"] = True
        await kiosk.until(lambda s: s["custody"]["box_out"], "the box out")

    async def _custody_box_in(self, kiosk: RunningKiosk) -> None:
        self.validator.faults["box_removed"] = False
        await kiosk.until(lambda s: s["state"] == "maintenance_count", "the count")

    async def _custody_count(self, kiosk: RunningKiosk) -> None:
        for _ in range(7):  # each denomination, then counterfeit: a blind count of zeros
            await kiosk.press("0", "confirm")
        await kiosk.press(*TECHS[0][1], "confirm", *TECHS[1][1], "confirm")
        await kiosk.until(lambda s: s["custody"]["step"] == "ended", "the reconciliation")

    async def _custody_end(self, kiosk: RunningKiosk) -> None:
        await kiosk.press("confirm")
        await kiosk.until(lambda s: s["state"] == "service_idle", "back in service")

    def check(self, findings: Findings) -> Findings:
        """The crash harness's money checks, then what the restarts told and kept."""
        super().check(findings)
        findings.kill_points = self.cuts
        log = (self.root / "daemon.log").read_text(encoding="utf-8", errors="replace")
        told = log.count(UNCLEAN)
        if told != self.cuts:
            findings.problems.append(f"{self.cuts} power cuts but {told} restarts said '{UNCLEAN}' "
                                     "(the run marker did not survive)")
        with self._journal() as db:
            kinds = [kind for (kind,) in db.execute("select kind from audit order by seq")]
            raised = [json.loads(body)["code"] for (body,) in db.execute(
                "select body from outbox where kind = 'alert' order by id")]
        if kinds.count("config_change") != 1:
            findings.problems.append(f"{kinds.count('config_change')} config_change audit entries for "
                                     "one unchanged config (config.sha256 did not survive)")
        if self.cuts and "power_restored" not in raised:
            findings.problems.append("no power_restored alert after a power cut")
        findings.problems.extend(self._chain_problems())
        findings.problems.extend(self._backup_problems())
        return findings

    def _chain_problems(self) -> list[str]:
        verify = subprocess.run(
            [sys.executable, "-m", "kioskd.cli.main", "audit", "verify", "--state", str(self.state),
             "--key", str(self.state / "kiosk.key")],
            cwd=ROOT, capture_output=True, text=True, timeout=60)
        return [] if verify.returncode == 0 else [f"audit chain: {verify.stdout}{verify.stderr}"]

    def _backup_problems(self) -> list[str]:
        backup = self.state / "backup.sqlite3"
        if not backup.exists():
            return []
        try:
            with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as db:
                verdict = db.execute("PRAGMA quick_check").fetchone()[0]
                db.execute("select count(*) from txns").fetchone()
        except sqlite3.Error as err:
            return [f"the backup that survived the cut is unusable: {err}"]
        return [] if verdict == "ok" else [f"the backup that survived the cut: {verdict}"]

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            await self.mount.close()


async def run(root: Path, seed: int, cuts: int, report: bool = False,
              driver: str = "id003", env: dict[str, str] | None = None) -> Findings:
    """`cuts` payments with a power cut each, then settle and check."""
    world = PowerWorld(root, seed, driver)
    world.env = env or {}
    findings = Findings()
    try:
        await world.start()
        for i in range(cuts):
            where = await world.payment_with_a_kill()
            if report:
                print(f"  cut {i + 1:4}: {where}", flush=True)
        await world.settle()
        return world.check(findings)
    finally:
        await world.close()
