"""The service door: door_open when open without two technicians, audited, cleared on closing."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kioskd.custody.door import DoorWatch
from tests.daemon import ROOT, RunningKiosk, start_kiosk
from tests.fakes import FakeAlerts
from tests.staff.conftest import Staff

GRACE = 30.0


@dataclass
class FakeSession:
    id: str
    tech2: tuple[str, str] | None = None


@dataclass
class FakeCustody:
    """Custody as the door sees it: a session (maybe with both technicians) and audit entries."""

    session: FakeSession | None = None
    audit: list[tuple[str, dict]] = field(default_factory=list)
    started: list[str] = field(default_factory=list)

    async def record(self, kind: str, **data: object) -> None:
        self.audit.append((kind, data))

    async def start(self, source: str) -> bool:
        self.started.append(source)
        self.session = FakeSession("S-1")
        return True


@pytest.mark.looptime
async def test_open_without_technicians_alerts_after_the_grace_period() -> None:
    custody, alerts = FakeCustody(), FakeAlerts()
    door = DoorWatch(custody, alerts, grace=GRACE)
    await door.opened()
    assert custody.started == ["door"]  # the screen asks for the technicians
    await asyncio.sleep(GRACE - 1)
    assert alerts.raised == []
    await asyncio.sleep(2)
    assert alerts.raised == ["door_open"]
    await door.closed()
    assert alerts.cleared == ["door_open"]
    assert [k for k, _ in custody.audit] == ["door_opened", "door_closed"]


@pytest.mark.looptime
async def test_two_technicians_cover_the_door_until_their_session_ends() -> None:
    custody, alerts = FakeCustody(), FakeAlerts()
    door = DoorWatch(custody, alerts, grace=GRACE)
    await door.opened()
    custody.session.tech2 = ("7002", "Tech 7002")  # type: ignore[union-attr]
    await asyncio.sleep(GRACE * 3)
    assert alerts.raised == []
    custody.session = None
    door.session_ended()  # done, but the door was left open
    await asyncio.sleep(GRACE + 1)
    assert alerts.raised == ["door_open"]


@pytest.mark.looptime
async def test_closing_within_the_grace_period_raises_nothing() -> None:
    custody, alerts = FakeCustody(), FakeAlerts()
    door = DoorWatch(custody, alerts, grace=GRACE)
    await door.opened()
    await asyncio.sleep(GRACE / 2)
    await door.closed()
    await asyncio.sleep(GRACE * 2)
    assert alerts.raised == []
    door.session_ended()  # a session ending with the door closed starts no grace period
    await asyncio.sleep(GRACE * 2)
    assert alerts.raised == []


async def door_kiosk(tmp_path: Path, grace: float, *more: str) -> RunningKiosk:
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    config = tmp_path / "door.toml"
    config.write_text(text + f"\n[door]\ngrace = {grace}\n" + "".join(f"{line}\n" for line in more), encoding="utf-8")
    kiosk = await start_kiosk(tmp_path / "s", "--config", str(config))
    await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
    return kiosk


async def test_door_opened_at_the_kiosk_without_custody(tmp_path: Path) -> None:
    kiosk = await door_kiosk(tmp_path, grace=0.5)
    staff = Staff(kiosk)
    try:
        assert (await staff.json("status"))["devices"]["door"] == "closed"
        await kiosk.fault("door_open", True)
        await kiosk.until(lambda s: s["state"] == "maintenance_login", "the technician login")
        alert = await staff.until_alert("door_open")
        assert alert["severity"] == "critical" and alert["device"] == "door" and alert["title_zh"] == "机门打开"
        assert (await staff.json("status"))["devices"]["door"] == "open"
        await kiosk.press("cancel")  # nobody logs in: the session is abandoned, the door still open
        await kiosk.until(lambda s: s["state"] == "maintenance_result", "the session's result")
        await kiosk.press("confirm")  # seen: the idle screen once the guard time has passed
        await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
        assert [a["id"] for a in await staff.alerts() if a["code"] == "door_open"] == [alert["id"]]
        await kiosk.fault("door_open", False)
        await staff.until_alert("door_open", None)
        assert (await staff.json("status"))["devices"]["door"] == "closed"
    finally:
        assert await kiosk.stop() == 0
    db = sqlite3.connect(tmp_path / "s" / "journal.sqlite3")
    kinds = [k for (k,) in db.execute("select kind from audit order by seq") if k.startswith("door")]
    assert kinds == ["door_opened", "door_closed"]
    sent = [(json.loads(b)["code"], json.loads(b)["state"]) for (b,) in
            db.execute("select body from outbox where kind = 'alert' order by id")]
    assert ("door_open", "raised") in sent and ("door_open", "cleared") in sent


@pytest.mark.parametrize("out_of_service", [True, False])
async def test_an_unreadable_door_switch_is_an_alert_and_by_default_out_of_service(
        tmp_path: Path, out_of_service: bool) -> None:
    more = () if out_of_service else ("unreadable_out_of_service = false",)
    kiosk = await door_kiosk(tmp_path, 120.0, *more)
    staff = Staff(kiosk)
    try:
        await kiosk.fault("door_unreadable", True)  # a cut cable to a sysfs file that reads garbage
        alert = await staff.until_alert("door_unreadable")
        assert (alert["severity"], alert["device"]) == ("critical", "door")
        assert (alert["title_zh"], alert["title_en"]) == ("机门开关无法读取", "door switch unreadable")
        assert (await staff.json("status"))["devices"]["door"] == "unreadable"
        if out_of_service:
            snap = await kiosk.until(lambda s: s["state"] == "unavailable", "out of service")
            assert snap["unavailable"] == {"reason": "door_unreadable"}
        else:
            await kiosk.press(*"0012345678", "confirm")  # still serving customers
            await kiosk.until(lambda s: s["state"] == "payment_confirm", "the confirmation screen")
            await kiosk.press("cancel")
        await kiosk.fault("door_unreadable", False)  # readable again: the door is closed
        await staff.until_alert("door_unreadable", None)
        await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
        assert (await staff.json("status"))["devices"]["door"] == "closed"
    finally:
        assert await kiosk.stop() == 0
