"""Alerts for staff and the backend: one open per code and device, cleared by cause or by staff.

Each change goes into the outbox (kind "alert") in the order it happened; the outbox
sender delivers it to POST /v1/alerts. Each change is also appended to the audit chain,
and the open alerts are kept in a small JSON file so they survive a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.statefile import read_json as read_json_file
from drivers.statefile import write_json as write_json_file
from kioskd.config import DEFAULT_TZ
from kioskd.hall.alert_titles import TITLES
from kioskd.hall.words import cause_fields, clock_fields, reason_fields, unreachable_fields
from kioskd.system.clock import wall_now
from kioskd.uplink.outbox import alert_body

if TYPE_CHECKING:
    from kioskd.ledger import Ledger

log = logging.getLogger("kioskd.hall.alerts")

SEVERITIES = ("info", "warning", "critical")
CODES = (
    "note_jam", "stacker_full", "stacker_near_full", "box_removed", "box_tamper",
    "validator_offline", "validator_fault", "printer_paper_out", "printer_paper_low",
    "printer_offline", "backend_unreachable", "payment_flagged", "custody_mismatch",
    "door_open", "door_unreadable", "power_restored", "clock_skew", "cash_without_case", "staff_emergency_login", "journal_tampered",
    "patrol_missed", "box_not_emptied",
    "note_in_doubt", "batch_refused",
)
STATES = ("raised", "acknowledged", "cleared")
RECENT = 50  # cleared alerts kept for `kioskctl alerts`

# The device each code is about, unless the caller names another (a second validator, or the
# payment a payment_flagged alert is about: each flagged payment needs its own alert).
DEVICES: dict[str, str] = {
    "note_jam": "validator", "stacker_full": "validator", "stacker_near_full": "validator",
    "validator_offline": "validator", "validator_fault": "validator",
    "box_removed": "cashbox", "box_tamper": "cashbox", "custody_mismatch": "cashbox",
    "printer_paper_out": "printer", "printer_paper_low": "printer", "printer_offline": "printer",
    "backend_unreachable": "backend", "payment_flagged": "ledger", "door_open": "door", "door_unreadable": "door",
    "power_restored": "kiosk",
    "clock_skew": "kiosk",
    "cash_without_case": "ledger",  # named per payment: "payment <txn>"
    "staff_emergency_login": "kiosk",
    "journal_tampered": "ledger",
    "patrol_missed": "kiosk",  # no patrol within [patrol] every during opening hours
    "box_not_emptied": "cashbox",  # [close] box_emptied: no custody session emptied the box that day
    "note_in_doubt": "ledger",  # named per note: "doubt <id>"
    "batch_refused": "backend",  # named per batch: "batch <seq>"
}

# alerts whose detail.reason is the backend's refusal (kioskd.hall.words has its words)
BACKEND_REFUSALS = frozenset({"payment_flagged", "batch_refused"})
# alerts whose detail.cause says why a device failed (kioskd.hall.words has its words)
DEVICE_CAUSED = frozenset({"validator_offline", "door_unreadable", "validator_fault", "note_jam"})
# alerts whose detail staff read in words, times in the kiosk's zone (shown as a device's cause is)
DETAIL_WORDS = {"backend_unreachable": unreachable_fields, "clock_skew": clock_fields}



def utc_now() -> str:
    """Now as RFC 3339 UTC with a Z."""
    return wall_now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


@dataclass
class Alert:
    """One alert and its present state."""

    id: str
    code: str
    severity: str
    state: str
    at: str
    detail: dict[str, Any] = field(default_factory=dict)
    raised_at: str = ""
    acknowledged_by: str = ""
    device: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """What de-duplicates: one open alert per code and device."""
        return (self.code, self.device or DEVICES.get(self.code, ""))

    def view(self, tz: str = DEFAULT_TZ) -> dict[str, Any]:
        """The alert as kioskctl shows it, with its title (and a backend refusal's reason, a device
        failure's cause, a link or clock problem's details, times in `tz`) in both languages."""
        zh, en = TITLES.get(self.code, (self.code, self.code))
        reason = self.detail.get("reason")
        words = reason_fields(reason) if self.code in BACKEND_REFUSALS and isinstance(reason, str) else {}
        if self.code in DEVICE_CAUSED:  # a jam raised before causes were sent: the validator's own report
            words = cause_fields({"cause": "validator_jam", **self.detail} if self.code == "note_jam" else self.detail)
        elif self.code in DETAIL_WORDS:
            words = DETAIL_WORDS[self.code](self.detail, tz)
        return {**asdict(self), "title_zh": zh, "title_en": en, **words}


class Alerts:
    """De-duplicated alerts (one open per code and device), stored in outbox and audit chain in order."""

    def __init__(
        self, ledger: Ledger, on_change: Callable[[], None] = lambda: None, *, state_file: Path | None = None,
        tz: str = DEFAULT_TZ,
    ) -> None:
        self.ledger = ledger
        self.tz = tz  # the kiosk's zone, for the times in an alert's words
        self.on_change = on_change
        self.state_file = state_file
        self.open: dict[tuple[str, str], Alert] = {}
        self.recent: deque[Alert] = deque(maxlen=RECENT)
        # each change with the audit fields of the person who made it ({} for the kiosk's own)
        self._queue: asyncio.Queue[tuple[Alert, dict[str, Any]]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._unstored: list[tuple[Alert, dict[str, Any]]] = []  # changes the journal could not take yet

    async def restore(self) -> None:
        """Load the alerts open before a restart (their causes re-raise or clear them)."""
        if self.state_file is None:
            return
        saved = await asyncio.to_thread(read_json_file, self.state_file)
        if not saved:
            return
        for raw in saved.get("open", []):
            alert = _restored(raw)
            if alert.code in CODES and alert.key not in self.open:
                self.open[alert.key] = alert
        for raw in saved.get("recent", []):
            self.recent.append(_restored(raw))
        if self.open:
            log.warning("alerts still open from before the restart: %s",
                        ", ".join(sorted(f"{code} ({device})" for code, device in self.open)))

    def raise_alert(self, code: str, severity: str = "warning", *, device: str = "", **detail: object) -> None:
        """Raise `code` for `device` (the code's usual device if not named) unless already open."""
        if code not in CODES or severity not in SEVERITIES:
            raise ValueError(f"unknown alert {code!r}/{severity!r}")
        device = device or DEVICES[code]
        if (code, device) in self.open:
            return
        now = utc_now()
        # the device goes into the detail too: the backend's copy de-duplicates the same way
        body = {**_plain(detail), "device": device}
        alert = Alert(str(uuid.uuid4()), code, severity, "raised", now, body, raised_at=now, device=device)
        self.open[alert.key] = alert
        log.warning("alert raised: %s on %s (%s) %s", code, device, severity, _plain(detail) or "")
        self._store(alert)

    def clear_alert(self, code: str, device: str = "") -> None:
        """Clear the open alert `code` of `device` (the code's usual device if not named), if any."""
        alert = self.open.get((code, device or DEVICES[code]))
        if alert is not None:
            self._clear(alert, by="")

    def backend_refused(self, kind: str, key: str, reason: str) -> None:
        """The backend refused an outbox item for good: a flagged payment (or invoice, alert), or a batch."""
        if kind == "batch":  # kept, and every later batch waits behind it: the operator must act
            self.raise_alert("batch_refused", "critical", device=f"batch {key}", seq=int(key), reason=reason)
            return
        # one alert per flagged item: each needs its own staff action
        self.raise_alert("payment_flagged", "critical", device=f"{kind} {key}", kind=kind, key=key, reason=reason)

    def batch_accepted(self, seq: str) -> None:
        """The backend accepted batch `seq`: a refusal of it is over."""
        self.clear_alert("batch_refused", f"batch {seq}")

    def is_open(self, code: str, device: str = "") -> bool:
        """Whether `code` is open for `device` (any device when not named)."""
        if device:
            return (code, device) in self.open
        return any(c == code for c, _ in self.open)

    def acknowledge(self, alert_id: str, by: str = "", uid: int | None = None,
                    who: dict[str, Any] | None = None) -> bool:
        """Staff saw the alert; False if no raised (unacknowledged) alert has that id.

        `uid`: the control socket caller's, as the kernel says, recorded beside the name `by`;
        `who`: the person's audit fields (Person.audit()), which the chain entry carries.
        """
        alert = self.find(alert_id)
        if alert is None or alert.state != "raised":
            return False
        alert.state, alert.at, alert.acknowledged_by = "acknowledged", utc_now(), by
        if by:  # who, in the audit chain and for the backend
            alert.detail = {**alert.detail, "acknowledged_by": by, **_uid("acknowledged_by_uid", uid)}
        log.info("alert acknowledged: %s %s", alert.code, f"by {by}" if by else "")
        self._store(alert, who)
        return True

    def staff_clear(self, alert_id: str, by: str = "", uid: int | None = None,
                    who: dict[str, Any] | None = None) -> bool:
        """Staff fixed what cannot be sensed (box back, stacker emptied); False if not open."""
        alert = self.find(alert_id)
        if alert is None:
            return False
        self._clear(alert, by=by, uid=uid, who=who)
        return True

    def find(self, alert_id: str) -> Alert | None:
        """The open alert with this id (or a unique id prefix of at least 8 characters)."""
        matches = [a for a in self.open.values()
                   if a.id == alert_id or (len(alert_id) >= 8 and a.id.startswith(alert_id))]
        return matches[0] if len(matches) == 1 else None

    def listing(self, include_cleared: bool = False) -> list[dict[str, Any]]:
        """Open alerts (critical first, then oldest), and the recently cleared ones if asked."""
        rank = {s: i for i, s in enumerate(reversed(SEVERITIES))}
        shown = sorted(self.open.values(), key=lambda a: (rank[a.severity], a.raised_at))
        if include_cleared:
            shown += list(reversed(self.recent))
        return [a.view(self.tz) for a in shown]

    def _clear(self, alert: Alert, by: str, uid: int | None = None, who: dict[str, Any] | None = None) -> None:
        self.open.pop(alert.key, None)
        cleared = _copy(alert)
        cleared.state, cleared.at = "cleared", utc_now()
        if by:
            cleared.detail = {**cleared.detail, "cleared_by": by, **_uid("cleared_by_uid", uid)}
        self.recent.append(cleared)
        log.info("alert cleared: %s on %s%s", alert.code, alert.key[1], f" by {by}" if by else "")
        self._store(cleared, who)

    def _store(self, alert: Alert, who: dict[str, Any] | None = None) -> None:
        # a copy: the open alert changes later (acknowledged) while this change waits its turn
        self._queue.put_nowait((_copy(alert), dict(who or {})))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write(), name="alerts")

    async def _write(self) -> None:
        while self._unstored or not self._queue.empty():
            # changes the journal refused (disk full) go first, in order, once it takes writes again
            change = self._unstored.pop(0) if self._unstored else self._queue.get_nowait()
            a, who = change
            body = alert_body(a.id, a.code, a.severity, a.state, a.at, a.detail)
            try:
                await self.ledger.outbox_put("alert", f"{a.id}:{a.state}", body)
                # the chain names the person as every staff action's entry does (by, by_name, by_role,
                # via, uid), so the work log shows and finds them; the backend's body keeps its contract
                await self.ledger.audit_append("alert", {**json.loads(body), **who})
            except Exception as err:  # the alert is still logged and shown; stored with the next change
                log.error("could not store alert %s %s: %s", a.code, a.state, err)
                self._unstored.insert(0, change)
                await self._save()
                break
            await self._save()
            self.on_change()

    async def _save(self) -> None:
        if self.state_file is None:
            return
        snapshot = {"open": [asdict(a) for a in self.open.values()],
                    "recent": [asdict(a) for a in self.recent]}
        try:
            await asyncio.to_thread(write_json_file, self.state_file, snapshot)
        except OSError as err:
            log.error("could not save alerts to %s: %s", self.state_file, err)

    async def drain(self) -> None:
        """Wait until every change so far is in the outbox."""
        while self._writer is not None and not self._writer.done():
            await self._writer


def _uid(name: str, uid: int | None) -> dict[str, int]:
    return {} if uid is None else {name: uid}


def _restored(raw: dict[str, Any]) -> Alert:
    """An alert from alerts.json (files written before alerts had a device get the code's)."""
    alert = Alert(**raw)
    alert.device = alert.device or DEVICES.get(alert.code, "")
    return alert


def _copy(alert: Alert) -> Alert:
    return Alert(**{**asdict(alert), "detail": dict(alert.detail)})


def _plain(detail: dict[str, object]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if isinstance(v, str | int | bool) or v is None}
