"""The key register (a handover between two people, then a session refused because both
technicians hold the box key), the patrol log and its missed-patrol alert, and the daily
close's box-not-emptied alert."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from kioskd.config import PatrolConfig
from kioskd.control.registers import register_commands
from kioskd.control.server import ControlError
from kioskd.hall.accounts import Person
from kioskd.hall.registers.boxcheck import check_box_emptied
from kioskd.hall.registers.differences import Differences, RegisterError
from kioskd.hall.registers.keys import KeyRegister
from kioskd.hall.registers.patrol import Patrols, patrol_due
from kioskd.hall.registers.wiring import Registers
from tests.custody.conftest import TECHS, Site
from tests.fakes import FakeAlerts
from tests.ledger.conftest import paid

MANAGER = Person("8001", "赵经理", "manager", "page")


def tech(staff_id: str) -> Person:
    return Person(staff_id, TECHS[staff_id][0], "technician", "page")


@pytest.mark.looptime
async def test_a_handover_then_a_session_refused_because_both_hold_the_box_key(site: Site) -> None:
    keys = KeyRegister(site.ledger)
    await keys.hand("box-1", MANAGER, tech("1001"), "issued at installation", key="box")
    handed = await keys.hand("box-1", tech("1001"), tech("1002"), "leave (年假)")
    assert (handed["from"], handed["to"], handed["confirmed"]) == ("1001", "1002", ["1001", "1002"])
    with pytest.raises(RegisterError, match="held by 1002"):  # only its holder hands it on
        await keys.hand("box-1", tech("1001"), tech("1003"), "shift")
    copies = {c["id"]: c["holder"] for c in await site.ledger.registers.key_copies()}
    assert copies == {"box-1": "1002"}
    month = (await site.ledger.registers.key_handovers())
    assert [(h["from_id"], h["to_id"], h["reason"]) for h in month] == [
        (None, "1001", "issued at installation"), ("1001", "1002", "leave (年假)")]

    # a second copy of the box key to 1001: now both technicians hold it, dual custody fails
    await keys.hand("box-2", MANAGER, tech("1001"), "spare copy", key="box")
    await site.custody.start("kioskctl")
    await site.login("1001")
    await site.login("1002")
    assert site.state == "maintenance_result"
    shown = site.screen["custody"]
    assert (shown["outcome"], shown["reason"]) == ("aborted", "same_key_holder")
    refused = await site.entries("custody_refused_keys")
    assert refused == [{"session": shown["session"], "tech1": "1001", "tech2": "1002", "keys": ["box"]}]
    assert [e["copy"] for e in await site.entries("key_handover")] == ["box-1", "box-1", "box-2"]
    await site.leave()

    # 1003 holds no key: 1001 and 1003 may open the box
    await site.custody.start("kioskctl")
    await site.login("1001")
    await site.login("1003")
    assert site.state == "maintenance_open"
    assert await site.audit_problems() == []


async def test_a_key_is_received_with_the_receivers_own_pin(site: Site) -> None:
    await site.ledger.staff_add("8001", "赵经理", "manager", "445566", {"by": "test"})
    daemon = SimpleNamespace(ledger=site.ledger, config=SimpleNamespace(kiosk=SimpleNamespace(tz="Asia/Shanghai")),
                             registers=Registers(Differences(site.ledger, "UTC"), KeyRegister(site.ledger),
                                                 None, None, "gb18030"))  # type: ignore[arg-type]

    async def allow(actor: Person, action: str) -> None:
        return None

    hand = register_commands(daemon, site.accounts, allow)["key_hand"][0]
    request = {"copy": "terminal-1", "key": "terminal", "to": "1001", "reason": "issued"}
    with pytest.raises(ControlError, match="wrong staff ID or secret"):
        await hand({**request, "to_secret": "000000"}, MANAGER)
    with pytest.raises(ControlError, match="second person"):
        await hand({**request, "to": "8001", "to_secret": "445566"}, MANAGER)
    done = await hand({**request, "to_secret": TECHS["1001"][1]}, MANAGER)
    assert done["handover"]["to"] == "1001" and done["handover"]["by"] == "8001"


def test_a_patrol_is_due_every_interval_during_opening_hours_only() -> None:
    tz = "Asia/Shanghai"  # UTC+8: 08:00 local is 00:00 UTC
    at = lambda h, m=0: datetime(2025, 3, 3, h, m, tzinfo=UTC)  # noqa: E731
    rules = {"opens": "08:00", "closes": "20:00", "every": 7200.0, "tz": tz}
    assert patrol_due(at(1, 59), None, **rules) is None  # 09:59 local: within two hours of opening
    assert patrol_due(at(2, 0), None, **rules) == at(2)  # 10:00 local: due since then
    assert patrol_due(at(3), at(2, 30), **rules) is None  # a patrol at 10:30 local
    assert patrol_due(at(5), at(2, 30), **rules) is not None  # none since: due at 12:30
    assert patrol_due(at(13), at(2, 30), **rules) is None  # 21:00 local: closed
    assert patrol_due(at(0, 30), at(11), **rules) is None  # yesterday's last patrol; opened half an hour ago
    assert patrol_due(at(5), None, **{**rules, "every": 0}) is None  # off


async def test_a_missed_patrol_raises_the_alert_and_a_check_in_clears_it(site: Site) -> None:
    alerts = FakeAlerts()
    now = [datetime(2025, 3, 3, 3, 0, tzinfo=UTC)]  # 11:00 in Shanghai
    patrols = Patrols(site.ledger, alerts, PatrolConfig(every=3600.0, opens="08:00", closes="20:00"),
                      "Asia/Shanghai", wall=lambda: now[0])
    assert await patrols.check_once() and alerts.raised == ["patrol_missed"]
    hall = Person("2001", "王芳", "hall", "keypad")
    with pytest.raises(RegisterError, match="needs a note"):
        await patrols.check_in(hall, {"screen_ok": True, "paper_ok": False, "seal_ok": True})
    done = await patrols.check_in(hall, {"screen_ok": True, "paper_ok": False, "seal_ok": True}, "paper low, refilled")
    assert alerts.cleared == ["patrol_missed"] and done["paper_ok"] is False
    now[0] = datetime.fromisoformat(done["at"].replace("Z", "+00:00")) + timedelta(minutes=30)
    assert not await patrols.check_once()
    listed = await site.ledger.registers.patrols()
    assert [(p["by"], p["paper_ok"], p["note"]) for p in listed] == [("2001", False, "paper low, refilled")]
    assert (await site.entries("patrol"))[0]["via"] == "keypad"


async def test_a_note_is_added_to_a_keypad_patrol_as_its_own_chain_entry(site: Site) -> None:
    patrols = Patrols(site.ledger, FakeAlerts(), PatrolConfig(every=3600.0), "Asia/Shanghai")
    on_duty = Person("2001", "王芳", "hall", "keypad")
    done = await patrols.check_in(on_duty, {"screen_ok": True, "paper_ok": False, "seal_ok": True}, "",
                                  note_required=False)  # the keypad has no letters
    [before] = await site.ledger.registers.patrols()
    with pytest.raises(RegisterError, match="1 to 500 characters"):
        await patrols.add_note(MANAGER, done["no"], "  ")
    with pytest.raises(RegisterError, match="no patrol 99"):
        await patrols.add_note(MANAGER, 99, "打印纸用完")
    added = await patrols.add_note(MANAGER, done["no"], "打印纸用完，已更换新卷")
    assert (added["patrol"], added["by"], added["by_name"], added["via"]) == (done["no"], "8001", "赵经理", "page")
    # the patrol's row never changes; the note is an entry of its own, naming who added it
    [listed] = await site.ledger.registers.patrols()
    assert {**listed, "notes": []} == before  # (the patrols table refuses updates, migration 12)
    assert await site.entries("patrol_note") == [{"patrol": done["no"], "note": "打印纸用完，已更换新卷", "by": "8001",
                                                  "by_name": "赵经理", "by_role": "manager", "via": "page"}]
    assert listed["note"] == "" and [(n["by"], n["by_name"], n["note"]) for n in listed["notes"]] == [
        ("8001", "赵经理", "打印纸用完，已更换新卷")]


async def test_the_daily_close_alerts_a_box_not_emptied_that_day(site: Site) -> None:
    alerts = FakeAlerts()
    today = date.today()
    assert (await check_box_emptied(site.ledger, alerts, today, "UTC", True))["missed"] is False  # empty box
    await paid(site.ledger, 10000)
    found = await check_box_emptied(site.ledger, alerts, today, "UTC", False)
    assert found["missed"] is False and alerts.raised == []  # not required
    found = await check_box_emptied(site.ledger, alerts, today, "UTC", True)
    assert found["missed"] is True and found["holding"] == 1 and alerts.raised == ["box_not_emptied"]
    await site.ledger.reset_counters("box-emptied-today")  # a custody session empties it
    await paid(site.ledger, 5000)
    found = await check_box_emptied(site.ledger, alerts, today, "UTC", True)
    assert found["missed"] is False and [b["box_id"] for b in found["boxes"]] == ["box-emptied-today"]
