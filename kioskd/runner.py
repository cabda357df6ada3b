"""`kioskd run`: the daemon's life from start to stop, and the out-of-service fallback."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
import uuid
from pathlib import Path
from typing import Any

from drivers.printer.fonts import find_cjk_font
from kioskd.app import Daemon
from kioskd.cli.where import kioskctl_line
from kioskd.config import Config
from kioskd.customer.screen.secret import screen_secret, write_start_page
from kioskd.customer.screen.server import ScreenServer
from kioskd.ledger import JournalTampered, StorageError
from kioskd.ledger.errors import JournalLocked
from kioskd.ledger.records import utc_now
from kioskd.system.notify import notify
from kioskd.uplink.client import BackendClient
from kioskd.uplink.keys import load_key

log = logging.getLogger("kioskd")


async def serve(config: Config, *, simulate: bool = False, ready: asyncio.Event | None = None,
                stop: asyncio.Event | None = None) -> None:
    """Run the kiosk until `stop` is set (main sets it on SIGTERM/SIGINT) or until cancelled."""
    warn_without_cjk_font()
    sim = None
    if simulate:
        from kioskd.sim.hardware import Simulation

        sim = Simulation(Path(config.storage.path), config.validator.driver, encrypted=config.validator.encrypted)
        config = await sim.start(config)
        # simulated kiosks (tests run several at once) keep their control socket in their state dir
        control = dataclasses.replace(config.control, socket=str(Path(config.storage.path) / "control.sock"))
        config = dataclasses.replace(config, control=control)
    daemon = Daemon(config, sim=sim)
    if sim is not None:
        # a note offered anywhere but the cash step is handed back (money rule 1)
        sim.taking_notes = lambda: daemon.model.state.startswith("payment_cash")
    try:
        try:
            await daemon.start()
        except JournalLocked:
            raise  # a second kioskd, or a restore under way: exit, leave the screen to the holder
        except StorageError as err:
            # nothing may be taken without a journal; the screen says so and staff are told
            log.error("out of service, taking no cash: %s", err)
            await out_of_service(config, str(err), stop, tampered=isinstance(err, JournalTampered))
            return
        if simulate:
            print_simulation_help(daemon)
        if ready is not None:
            ready.set()
        await (stop or asyncio.Event()).wait()
        await daemon.drain()
    finally:
        await daemon.stop()
        if sim is not None:
            await sim.stop()


def warn_without_cjk_font() -> None:
    """One line when no font has Chinese glyphs: the zh-CN screen would show empty boxes."""
    if find_cjk_font() is None:
        log.warning("no Chinese (CJK) font installed: the screen, /sim and receipt pictures show Chinese "
                    "as empty boxes; install one (Debian: sudo apt-get install fonts-noto-cjk)")


def unavailable_snapshot(locale: str, reason: str) -> dict[str, Any]:
    """The screen snapshot of a kiosk that cannot serve at all."""
    return {
        "state": "unavailable", "locale": locale, "account": "", "account_error": None,
        "lookup_error": None, "info": None, "denominations": [], "notes": [], "total": 0,
        "max_more": None, "message": None, "deadline": None, "timeout": 0, "result": None,
        "receipt": None, "help": None, "unavailable": {"reason": reason}, "notices": [],
        "custody": None,
    }


async def out_of_service(config: Config, detail: str, stop: asyncio.Event | None, *,
                         tampered: bool = False) -> None:
    """No usable journal: show "out of service", tell the backend, take nothing, wait for stop."""
    screen = ScreenServer(config.screen.listen, on_key=lambda key: None, secret=screen_secret(config.screen.key_dir))
    await screen.start()
    url = screen.page_url
    write_start_page(config.screen.key_dir, url)
    print(f"kioskd is out of service (journal unusable); customer screen: {url}", flush=True)
    screen.publish(unavailable_snapshot(config.kiosk.locale, "storage"))
    notify("READY=1", "STATUS=unavailable: journal unusable")
    client = None
    try:
        client = BackendClient(config.backend.url, config.kiosk.id, load_key(config.key_path),
                               timeout=config.backend.timeout)
        # a journal that disagrees with its signed chain is journal_tampered; the spec has no
        # code for a broken disk: validator_fault says "no notes can be taken", the detail why
        code, key = ("journal_tampered", "integrity") if tampered else ("validator_fault", "storage")
        await client.post_alert({"id": str(uuid.uuid4()), "code": code,
                                 "severity": "critical", "state": "raised", "at": utc_now(),
                                 "detail": {key: detail[:200]}})
    except Exception as err:  # the screen and the log already say it; the backend is a bonus
        log.warning("could not tell the backend: %s", err)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        if client is not None:
            await client.close()
        await screen.stop()


def print_simulation_help(daemon: Daemon) -> None:
    """Tell the person at the terminal where the screen is, how to insert notes and use kioskctl."""
    url, key = daemon.screen_url, daemon.screen_key
    staff = kioskctl_line(kioskctl_program(), daemon.config, socket=daemon.config.control.socket)
    print(
        f"\nkioskd simulated kiosk is running.\n"
        f"  customer screen:  {url}?k={key}\n"
        f"  insert notes:     {url}sim?k={key}  (buttons for each note and the fault switches)\n"
        f"  demo accounts:    0012345678 (due ¥123.50), 0023456789, 0099999999 (blocked)\n"
        f"  staff commands:   {staff}\n"
        f"  stop:             Ctrl-C\n",
        flush=True,
    )


def kioskctl_program() -> str:
    """The kioskctl beside this kioskd (.venv/bin/kioskctl in a checkout), as short as it is exact."""
    program = Path(sys.executable).parent / "kioskctl"
    if not program.exists():
        return "kioskctl"
    try:
        return str(program.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(program)
