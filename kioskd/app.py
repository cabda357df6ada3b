"""The composition root: builds everything from config, starts it, and stops it in reverse order."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Any

from drivers import base as ev
from drivers.base import BillValidator, DoorSensor, Keypad, ReceiptPrinter
from drivers.statefile import remove_leftover_temps
from kioskd.config import Config, config_changed
from kioskd.control.handlers import Handlers
from kioskd.control.server import ControlServer
from kioskd.custody.door import DoorWatch
from kioskd.custody.session import Custody, CustodySettings, key_signer
from kioskd.custody.statement import Statement, statement_lines
from kioskd.customer.invoices import InvoiceDesk
from kioskd.customer.receipts.layout import render_lines, send_when_ready
from kioskd.customer.receipts.printing import Receipts
from kioskd.customer.receipts.reprint import Duplicates
from kioskd.customer.rules import rules_from
from kioskd.customer.screen.secret import screen_secret, write_start_page
from kioskd.customer.screen.server import ScreenServer
from kioskd.customer.voice.announcer import Announcer, announcer_from
from kioskd.devices import build_door, build_keypad, build_printer, build_validator
from kioskd.hall.accounts import Accounts
from kioskd.hall.alerts import Alerts
from kioskd.hall.cases.devicelog import DeviceLog
from kioskd.hall.cases.wiring import claims_after_count, start_cases
from kioskd.hall.page import StaffPage, start_staff_page
from kioskd.hall.registers.wiring import box_check, start_registers
from kioskd.hall.reports import DailyClose
from kioskd.ledger import Ledger
from kioskd.ledger.lock import JournalLock
from kioskd.pump import EventPump
from kioskd.system.drain import finish_payment_in_progress, inhibit_on_stop
from kioskd.system.health import (
    mark_running,
    mark_stopped,
    report_clock,
    watch_backend,
    watch_pending,
)
from kioskd.system.journal_check import verify_and_sign_restart
from kioskd.system.lifecycle import Lifecycle, cancel_all
from kioskd.system.notify import notify, status_line, watchdog_seconds
from kioskd.system.storage import StorageWatch
from kioskd.system.watchdog import Watchdog, device_watchdog
from kioskd.uplink.keys import load_key, pin_key
from kioskd.uplink.payments import UplinkPayments
from kioskd.uplink.status import report_status
from kioskd.uplink.wiring import build_uplink
from statemachine.definition import Timeouts
from statemachine.machine import build_machine
from statemachine.model import KioskModel
from statemachine.rules import Site

if TYPE_CHECKING:
    from kioskd.hall.cases import Cases
    from kioskd.sim.hardware import Simulation
    from kioskd.uplink.batches import BatchBuilder
    from kioskd.uplink.client import BackendClient
    from kioskd.uplink.invoices import Invoices
    from kioskd.uplink.outbox import OutboxSender
    from kioskd.uplink.scheduler import BatchScheduler

log = logging.getLogger("kioskd")

PROBE_SECONDS = 5.0  # how long start-up waits for the validator before going unavailable
# SIGTERM: how long the payment in progress may take to finish (submit + print); the unit's
# TimeoutStopSec=60 leaves the rest for closing the journal and the screen
STOP_GRACE = 45.0


class Daemon:
    """One kiosk: journal, backend link, devices, machine and screen."""

    # built by start(), in this order
    ledger: Ledger
    client: BackendClient
    batch_builder: BatchBuilder
    invoices: Invoices
    sender: OutboxSender
    batches: BatchScheduler
    alerts: Alerts
    payments: UplinkPayments
    validator: BillValidator
    printer: ReceiptPrinter
    keypad: Keypad
    door: DoorSensor | None
    receipts: Receipts
    duplicates: Duplicates
    model: KioskModel
    custody: Custody
    cases: Cases
    pump: EventPump
    screen_url: str
    screen_key: str  # the per-boot secret the kiosk's browser has in its URL

    def __init__(self, config: Config, *, sim: Simulation | None = None) -> None:
        self.config = config
        self.sim = sim
        self.events: asyncio.Queue[ev.DeviceEvent] = asyncio.Queue()
        # every start registers its own stop; stop() runs them in reverse order (lifecycle.py)
        self.life = Lifecycle()
        self.tasks, self.stop_errors = self.life.tasks, self.life.stop_errors
        self.on_stop, self.spawn = self.life.on_stop, self.life.spawn
        self.screen: ScreenServer | None = None
        self.control: ControlServer | None = None
        self.staff_page: StaffPage | None = None  # [staff_page] enabled only
        self.daily_close: DailyClose | None = None
        self.accounts: Accounts | None = None
        self.draining = False  # SIGTERM seen: no new customers, the payment in progress ends
        self.watchdog: Watchdog | None = None
        self.door_watch: DoorWatch | None = None
        self.voice: Announcer | None = None  # [voice] enabled only
        self._changed = asyncio.Event()  # set on every published snapshot (state change)
        self._opened = False  # the journal opened: stop() has something to undo
        self.journal_lock = JournalLock(config.state_dir)

    # --- start-up ---------------------------------------------------------------------
    async def start(self) -> None:
        """Open the journal, recover, probe the devices, then tell systemd we are ready."""
        key = load_key(self.config.key_path)
        await self._open_journal(key)
        self._connect_backend(key)
        await self._restore_alerts()
        self._build_payments()
        self._build_devices(key)
        self._build_machine(key)
        self._build_event_pump()
        screen = self._build_screen()
        to_submit = await self._recover()
        self._spawn_workers()
        await self._catch_up(to_submit)
        await self._open_screen(screen)
        self._start_daily_close()
        await self._open_staff_tools()
        await self._probe_validator()
        await self._announce_ready()

    async def _open_journal(self, key: Any) -> None:
        """Lock and open the journal, verify it and sign the restart entry."""
        c = self.config
        self.journal_lock.acquire()  # held until the process ends: no restore under our feet
        remove_leftover_temps(c.state_dir)  # no other daemon, no writer of ours yet: a temporary is a cut write's
        # the page check runs after READY (StorageWatch.check_pages): O(size), seconds for a year
        self.ledger = await Ledger.open(c.state_dir, c.kiosk.id, c.kiosk.currency, quick_check=False,
                                        pin_key=pin_key(key))
        self._opened = True
        self.on_stop("journal lock", self.journal_lock.release)
        self.on_stop("journal", self._close_journal)
        await verify_and_sign_restart(self.ledger, key, c.kiosk.id, full=c.storage.verify_all)

    def _connect_backend(self, key: Any) -> None:
        """The backend client, batch builder, invoices, outbox and batch scheduler."""
        c = self.config
        accepted = lambda seq: self.alerts.batch_accepted(seq)  # noqa: E731 - alerts come later
        up = build_uplink(self.ledger, c.backend, c.kiosk.id, key, on_flagged=self._flagged, on_accepted=accepted)
        self.client, self.batch_builder, self.invoices = up.client, up.batch_builder, up.invoices
        self.sender, self.batches = up.sender, up.batches
        self.on_stop("backend client", self.client.close)

    async def _restore_alerts(self) -> None:
        """The alerts of the last run, the clock's, and power_restored after an unclean stop."""
        self.alerts = Alerts(self.ledger, on_change=self.sender.wake,
                             state_file=self.config.state_dir / "alerts.json", tz=self.config.kiosk.tz)
        # each change is stored after the fact, in turn: the journal closes once the last is in
        self.on_stop("alerts", self.alerts.drain)
        await self.alerts.restore()
        report_clock(self.alerts)
        if mark_running(self.config.state_dir):
            log.warning("the previous run did not stop cleanly (power cut, crash or kill)")
            self.alerts.raise_alert("power_restored", "info")

    def _build_payments(self) -> None:
        """The storage watch and the payments' submission to the backend."""
        self.storage = StorageWatch(state_dir=self.config.state_dir, ledger=self.ledger, alerts=self.alerts,
                                    resubmit=self._resubmit_soon)
        self.payments = UplinkPayments(
            self.ledger, self.client, submit_timeout=self.config.backend.timeout,
            journal_timeout=self.config.timeouts.note_progress,  # the machine's bound on the journal's answer
            outbox=self.sender, on_flagged=self._flagged, on_refused=self.storage.refused,
        )

    def _build_devices(self, key: Any) -> None:
        """Validator, printer, keypad, door sensor, and the receipts printed on them."""
        c = self.config
        self.validator = build_validator(c)
        self.printer = build_printer(c)
        self.keypad = build_keypad(c)
        self.door = build_door(c)
        self.receipts = Receipts(c, self.ledger, self.printer, key)
        self.duplicates = Duplicates(self.receipts, c.state_dir)

    def _build_machine(self, key: Any) -> None:
        """The kiosk model and machine, staff accounts, custody, invoices and the door watch."""
        c = self.config
        self.model = KioskModel(
            validator=self.validator, journal=self.ledger, payments=self.payments,
            receipts=self.receipts, alerts=self.alerts, rules=rules_from(c), publish=self._publish,
            site=Site(hall=c.kiosk.name, hall_en=c.kiosk.name_en, hotline=c.kiosk.hotline), reprints=self.duplicates,
        )
        self.machine = build_machine(self.model, Timeouts(**vars(c.timeouts)))
        self.storage.model = self.model
        self.accounts = Accounts(self.ledger, max_failures=c.custody.max_failures, lockout=c.custody.lockout)
        self.custody = Custody(
            ledger=self.ledger, accounts=self.accounts, model=self.model, alerts=self.alerts, sign=key_signer(key),
            denominations=self.validator.denominations, settings=CustodySettings.of(c.custody),
            on_statement=self._print_statement, on_end=self._custody_ended,
        )
        self.model.attach_custody(self.custody)
        self.model.attach_invoices(InvoiceDesk(self.invoices, self.printer, c, key))
        self.door_watch = DoorWatch(self.custody, self.alerts, grace=c.door.grace)
        self.on_stop("door watch", self.door_watch.stop)

    def _build_event_pump(self) -> None:
        """Voice, the device log, and the event pump that feeds the devices' events to the machine."""
        c = self.config
        self.voice = announcer_from(c)
        self.device_log = DeviceLog(c.state_dir)  # what the devices reported, for cases' evidence
        self.pump = EventPump(
            events=self.events, model=self.model, alerts=self.alerts, ledger=self.ledger,
            custody=self.custody, door_watch=self.door_watch, box_capacity=c.validator.box_capacity,
            printer_when_unavailable=c.printer.when_unavailable, draining=lambda: self.draining,
            door_unreadable_stops=c.door.unreadable_out_of_service, resubmit=self._resubmit_soon,
            note_returned=None if self.voice is None else self.voice.note_returned,
            observe=self.device_log.record,
        )

    def _build_screen(self) -> ScreenServer:
        """The customer screen's server, not listening yet: it shows every snapshot from now on."""
        self.screen = ScreenServer(self.config.screen.listen, on_key=self._screen_key, sim=self.sim,
                                   secret=screen_secret(self.config.screen.key_dir))
        return self.screen

    async def _recover(self) -> list[str]:
        """The payments from before the restart that are still to submit."""
        held = await self.ledger.cases.held_cash()  # a re-credit took their cash over: never sent again
        to_submit = [txn for txn in await self.ledger.recover() if txn not in held]
        if to_submit:
            log.warning("recovery: %d payment(s) from before the restart to submit", len(to_submit))
        return to_submit

    def _spawn_workers(self) -> None:
        """The long-running tasks: event pump, devices, uplink, watches, cases and registers."""
        c = self.config
        # the tasks stop after the servers and the inhibit, before the journal closes
        self.on_stop("tasks", self._cancel_tasks)
        self.spawn(self.pump.run(), "event-pump")
        self.spawn(self.validator.run(self.events.put_nowait, self.pump.commit_credit), "validator")
        self.on_stop("validator inhibit", functools.partial(inhibit_on_stop, self.validator))
        self.spawn(self.printer.run(self.events.put_nowait), "printer")
        self.spawn(self.keypad.run(self.events.put_nowait), "keypad")
        if self.door is not None:
            self.spawn(self.door.run(self.events.put_nowait), "door")
        self.spawn(self.sender.run(), "outbox")
        if self.voice is not None:
            self.spawn(self.voice.run(), "voice")
        self.spawn(self.batches.run(), "batches")
        self.spawn(self.custody.run_checkpoints(), "audit-checkpoints")
        self.spawn(watch_backend(self.client, self.alerts, c.backend.unreachable_after), "backend-watch")
        self.spawn(self.storage.run(), "storage-watch")
        self.spawn(watch_pending(self.ledger, self.model, c.backend.max_pending), "pending-watch")
        self.spawn(report_status(self.ledger, self.alerts, self.client, lambda: self.model.state,
                                 c.validator.box_capacity, c.backend.status_every), "status-report")
        self.cases = start_cases(ledger=self.ledger, client=self.client, sender=self.sender, alerts=self.alerts,
                                 printer=self.printer, config=c, spawn=self.spawn)
        self.registers = start_registers(ledger=self.ledger, alerts=self.alerts, printer=self.printer, config=c,
                                         custody=self.custody, model=self.model,
                                         accounts=self.custody.accounts, spawn=self.spawn)

    async def _catch_up(self, to_submit: list[str]) -> None:
        """The cash box, a changed config, the device watchdog, then the recovered payments resubmitted."""
        await self.pump.check_box()
        await self._audit_config_change()
        timeout = watchdog_seconds()
        if timeout is not None:
            self.watchdog = device_watchdog(timeout, self.tasks, self.validator, self.printer, self.door)
            self.spawn(self.watchdog.run(), "watchdog")
        for txn in to_submit:
            self._resubmit_soon(txn)

    async def _open_screen(self, screen: ScreenServer) -> None:
        """Serve the customer screen and write the page the kiosk's browser opens."""
        self.screen_url = await screen.start()
        self.screen_key = screen.secret
        write_start_page(self.config.screen.key_dir, screen.page_url)
        self.on_stop("screen", screen.stop)

    def _start_daily_close(self) -> None:
        """The daily close: its report, the batch flush and the box check at close time."""
        c = self.config
        self.daily_close = DailyClose(
            self.ledger, self.printer, kiosk=c.kiosk, encoding=c.printer.encoding,
            flush=self.batches.flush_soon, at=c.close.time, printed=c.close.print,
            state_file=c.state_dir / "daily_close.json", box_check=box_check(self.ledger, self.alerts, c),
        )
        self.spawn(self.daily_close.run(), "daily-close")

    async def _open_staff_tools(self) -> None:
        """The kioskctl socket and, where [staff_page] enables it, the staff page."""
        c = self.config
        # staff tools must not keep the kiosk from taking payments: a bad socket is logged
        control = ControlServer(c.control.socket, Handlers(self).handle, group=c.control.group)
        try:
            await control.start()
        except Exception as err:
            log.error("control socket %s not available: %s", c.control.socket, err)
        else:
            self.control = control
            self.on_stop("control socket", control.stop)
        self.staff_page = await start_staff_page(c.staff_page, Handlers(self), c.kiosk.tz)
        if self.staff_page is not None:
            self.on_stop("staff page", self.staff_page.stop)

    async def _probe_validator(self) -> None:
        """Wait PROBE_SECONDS for the validator to answer; if it does not, the kiosk shows it unavailable."""
        try:
            async with asyncio.timeout(PROBE_SECONDS):
                await self.pump.validator_online.wait()
        except TimeoutError:
            log.error("validator did not answer within %.0f s", PROBE_SECONDS)
            self.model.set_problem("validator", "validator_offline")
            self.alerts.raise_alert("validator_offline", "critical", cause="start_timeout")

    async def _announce_ready(self) -> None:
        """The machine to ready, READY=1 to systemd, then the journal's page check."""
        await self.model.trigger("ready")
        notify("READY=1", f"STATUS={self.model.state}")
        self.spawn(self.storage.check_pages(), "journal-check")  # after READY: reads the whole file
        log.info("ready")

    def _resubmit_soon(self, txn: str) -> None:
        self.spawn(self._resubmit(txn), f"resubmit-{txn}")

    async def _resubmit(self, txn: str) -> None:
        result = await self.payments.submit(txn)
        log.info("recovered payment %s (seq %s): %s", txn, result.seq, result.status)
        await self.ledger.mark_reprint(txn, True)

    # --- shut-down ----------------------------------------------------------------------
    async def drain(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM: no new customers or notes; the note in flight and the payment end first."""
        self.draining = True
        notify("STOPPING=1", "STATUS=stopping: finishing the payment in progress")
        log.info("stopping: state %s", self.model.state)
        await finish_payment_in_progress(self.validator, self.events, self.model, self._changed, grace)

    async def stop(self) -> None:
        """Undo start() in reverse order: servers, the validator inhibit, tasks, then the journal."""
        if not self._opened:
            return  # no journal, nothing started (the runner's out-of-service screen has its own stop)
        notify("STOPPING=1")
        await self.life.close()

    async def _cancel_tasks(self) -> None:
        await cancel_all(self.tasks)
        await cancel_all(list(self.model.tasks))

    async def _close_journal(self) -> None:
        await self.ledger.close()
        mark_stopped(self.config.state_dir)  # a clean stop: no power_restored next start

    # --- wiring -------------------------------------------------------------------------
    def _publish(self, snapshot: dict[str, Any]) -> None:
        if self.screen is not None:
            self.screen.publish(snapshot)
        if self.voice is not None:
            self.voice.observe(snapshot)
        self._changed.set()
        notify(f"STATUS={'stopping: ' if self.draining else ''}{status_line(snapshot)}")

    async def _audit_config_change(self) -> None:
        """A config file that differs from the last run's is an audit entry (who changed what, when)."""
        change = config_changed(self.config.source, self.config.state_dir)
        if change is not None:
            before, after = change
            await self.custody.record("config_change", file=self.config.source, before=before, after=after)

    async def _print_statement(self, statement: Statement) -> None:
        """The terminal cash statement (终端现金对账单) when the box is released."""
        lines = statement_lines(statement, self.model.locale)
        await send_when_ready(self.printer, render_lines(lines, encoding=self.config.printer.encoding),
                              f"cash statement {statement.box_id}")

    def _custody_ended(self, outcome: str) -> None:
        self.batches.flush_soon(f"custody session {outcome}")
        claims_after_count(self.ledger, self.alerts, self.spawn)
        if self.door_watch is not None:
            self.door_watch.session_ended()

    def _screen_key(self, key: str) -> None:
        self.events.put_nowait(ev.KeyPressed("screen", key))

    def _flagged(self, kind: str, key: str, reason: str) -> None:
        self.alerts.backend_refused(kind, key, reason)

