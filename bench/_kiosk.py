"""A kioskd subprocess on emulators that live in the bench process, with a fake $NOTIFY_SOCKET."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from drivers.printer.emulator import EscposEmulator
from kioskd.sim.hardware import validator_emulator
from kioskd.uplink.keys import init_key, load_key, public_b64url
from refbackend import ReferenceBackend

ROOT = Path(__file__).resolve().parents[1]
KIOSK = "K-BENCH-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BenchKiosk:
    """Emulators + reference backend here; `kioskd run --config` as a child we can measure."""

    def __init__(self, root: Path, poll_interval: float = 0.2, validator: str = "id003",
                 extra: str = "[voice]\nenabled = false\n", env: dict[str, str] | None = None) -> None:
        self.root, self.poll_interval, self.driver = root, poll_interval, validator
        self.env = env or {}  # more environment for the daemon (bench.soak: the unit's Environment=)
        self.extra = extra  # more config: by default the benches run a silent kiosk
        # the same wire emulator `kioskd run --simulate` would give that [validator] driver
        self.validator, self.printer = validator_emulator(validator), EscposEmulator()
        self.backend = ReferenceBackend(root / "backend.sqlite3")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc: asyncio.subprocess.Process | None = None
        self.ready_after = 0.0  # seconds from exec to READY=1 (set by launched())
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(root / "notify.sock"))

    async def setup(self) -> None:
        state = self.root / "state"
        state.mkdir(parents=True, exist_ok=True)
        (self.root / "screen-key").mkdir(exist_ok=True)  # tmpfiles makes it on /run
        init_key(state / "kiosk.key")
        self.backend.enroll(KIOSK, public_b64url(load_key(state / "kiosk.key")))
        backend_url = await self.backend.start()
        await self.validator.start()
        await self.printer.start()
        (self.root / "kioskd.toml").write_text(f"""
[kiosk]
id = "{KIOSK}"
name = "Bench Hall"
[validator]
driver = "{self.driver}"
port = "{self.validator.port}"
poll_interval = {self.poll_interval}
[printer]
port = "{self.printer.port}"
[keypad]
driver = "screen"
[backend]
url = "{backend_url}"
[storage]
path = "{state}"
[screen]
listen = "127.0.0.1:{self.port}"
key_dir = "{self.root / 'screen-key'}"
[control]
socket = "{state}/control.sock"
{self.extra}""", encoding="utf-8")

    def page_url(self) -> str:
        """The customer screen's URL with its per-boot secret (the screen refuses /ws without it)."""
        key = (self.root / "screen-key" / "key").read_text(encoding="ascii").strip()
        return f"{self.url}?k={key}"

    async def launch(self) -> float:
        """Start the daemon; seconds from exec to READY=1 on the notify socket."""
        env = {**os.environ, **self.env, "NOTIFY_SOCKET": str(self.root / "notify.sock")}
        t0 = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kioskd", "run", "--config", str(self.root / "kioskd.toml"),
            cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        loop = asyncio.get_running_loop()
        self.notify.setblocking(False)
        async with asyncio.timeout(60):
            while True:
                data = await loop.sock_recv(self.notify, 4096)
                if b"READY=1" in data.split(b"\n"):
                    took = time.perf_counter() - t0
                    self._drain = asyncio.create_task(self._read_notifications())
                    return took

    async def _read_notifications(self) -> None:
        loop = asyncio.get_running_loop()
        while True:  # as systemd does: keep reading, or the daemon's datagrams are dropped
            await loop.sock_recv(self.notify, 4096)

    async def stop(self) -> None:
        if getattr(self, "_drain", None) is not None:
            self._drain.cancel()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()
        await self.validator.stop()
        await self.printer.stop()
        await self.backend.stop()
        self.notify.close()


@contextlib.asynccontextmanager
async def launched(poll_interval: float = 0.2, validator: str = "id003",
                   extra: str | None = None, env: dict[str, str] | None = None) -> AsyncIterator[BenchKiosk]:
    """A bench kiosk (with `validator`'s driver and emulator, `extra` config, `env` added to the
    daemon's environment) in a temporary directory, running (READY=1 seen) until the block ends."""
    with tempfile.TemporaryDirectory() as tmp:
        kiosk = BenchKiosk(Path(tmp), poll_interval, validator, *([] if extra is None else [extra]), env=env)
        await kiosk.setup()
        try:
            kiosk.ready_after = await kiosk.launch()
            yield kiosk
        finally:
            await kiosk.stop()
