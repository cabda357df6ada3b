"""Who acts at the control socket: a staff member with --as, the installer, or a group member who may
only read; roles decide, refusals and actions name the person in the audit chain."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from kioskd.config import from_dict
from kioskd.control.handlers import Handlers
from kioskd.control.server import ControlError, NotPermitted, Peer
from kioskd.hall.accounts import ACTIONS, Person, Refusal, may, require_role
from kioskd.hall.alerts import Alerts
from kioskd.ledger import Ledger
from tests.daemon import ROOT, RunningKiosk
from tests.ledger.conftest import PIN_KEY
from tests.staff.conftest import add_staff, pay

STAFF = {"2001": ("王芳", "hall", "hall-pass-2001"), "3001": ("赵经理", "manager", "864209"),
         "1001": ("张伟", "technician", "135790")}


@pytest.fixture
async def handlers(tmp_path: Path) -> AsyncIterator[Handlers]:
    config = from_dict({"kiosk": {"id": "K-1", "name": "hall"}, "validator": {"port": "/dev/x"},
                        "printer": {"port": "/dev/y"}, "backend": {"url": "http://127.0.0.1:1/"},
                        "keypad": {"driver": "screen"}, "storage": {"path": str(tmp_path)}})
    ledger = await Ledger.open(tmp_path, "K-1", pin_key=PIN_KEY)
    for staff, (name, role, secret) in STAFF.items():
        await ledger.staff_add(staff, name, role, secret, {"by": "test"})
    alerts = Alerts(ledger)
    daemon = SimpleNamespace(config=config, ledger=ledger, alerts=alerts, sim=None, door=None,
                             model=SimpleNamespace(state="service_idle", problems={}, notices=set()),
                             client=SimpleNamespace(last_contact=None))
    try:
        yield Handlers(daemon)
    finally:
        await alerts.drain()
        await ledger.close()


def test_the_roles_and_what_each_may_do() -> None:
    hall, manager, tech = (Person(i, n, r, "page") for i, (n, r, _) in STAFF.items())
    assert [a for a in ("alert_ack", "receipt_reprint", "case_open", "txn_view") if may(hall, a)] == [
        "alert_ack", "receipt_reprint", "case_open", "txn_view"]
    for action in ("refund_approve", "difference_approve", "alert_clear_money", "report_close"):
        assert may(manager, action) and not may(hall, action) and not may(tech, action), action
    assert may(tech, "custody") and not may(hall, "custody") and not may(manager, "custody")
    assert not may(tech, "alert_ack") and may(tech, "cashbox_open")
    nobody = Person("uid:65534", "nobody", "", "kioskctl")
    installer = Person("installer", "root (uid 0)", "installer", "kioskctl")
    assert not any(may(nobody, a) for a in ACTIONS) and all(may(installer, a) for a in ACTIONS)
    assert not may(manager, "no_such_action") and may(installer, "no_such_action")
    with pytest.raises(Exception, match="2001 王芳 \\(hall staff\\) may not refund approve"):
        require_role(hall, "refund_approve")


def test_a_lockout_that_ends_on_another_local_day_names_the_date() -> None:
    # 10:15 in Shanghai (02:15 UTC); "now" is the kiosk's local day the refusal is shown on
    locked = Refusal("1001", "locked", 0, "2026-12-04T02:15:00.000Z")
    same_day = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)   # 09:00 in Shanghai
    near_midnight = datetime(2026, 12, 3, 15, 50, tzinfo=UTC)  # 23:50 the evening before
    assert locked.text("zh-CN", "Asia/Shanghai", now=same_day) == "工号 1001 已锁定，请于 10:15 后再试"
    assert locked.text("en", "Asia/Shanghai", now=same_day) == "staff 1001 is locked until 10:15"
    assert locked.text("zh-CN", "Asia/Shanghai", now=near_midnight) == "工号 1001 已锁定，请于 2026-12-04 10:15 后再试"
    assert locked.text("en", "Asia/Shanghai", now=near_midnight) == "staff 1001 is locked until 2026-12-04 10:15"
    # the day is the kiosk's, not UTC's: just after midnight in Shanghai it is still the 3rd in UTC
    after_midnight = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)  # 00:30 on the 4th in Shanghai
    assert locked.text("en", "Asia/Shanghai", now=after_midnight) == "staff 1001 is locked until 10:15"
    assert locked.text("en", "UTC", now=after_midnight) == "staff 1001 is locked until 2026-12-04 02:15"


async def test_another_group_member_may_read_but_not_act(handlers: Handlers) -> None:
    handlers.d.alerts.raise_alert("stacker_full", "critical")
    alert = handlers.d.alerts.listing()[0]
    other = Peer(pid=1, uid=65534, gid=65534)
    assert (await handlers.handle({"cmd": "status"}, other))["state"] == "service_idle"
    assert (await handlers.handle({"cmd": "whoami"}, other))["person"]["role"] == ""
    for request in ({"cmd": "alert_ack", "id": alert["id"]}, {"cmd": "txn_list"}, {"cmd": "report_close"}):
        with pytest.raises(NotPermitted, match="may not"):
            await handlers.handle(request, other)
    # with their own account they may
    done = await handlers.handle({"cmd": "alert_ack", "id": alert["id"], "staff": "2001",
                                  "secret": STAFF["2001"][2]}, other)
    assert done["alert"]["acknowledged_by"] == "2001 王芳"
    me = (await handlers.handle({"cmd": "whoami"}, Peer(pid=1, uid=os.getuid(), gid=0)))["person"]
    assert (me["id"], me["role"], me["via"]) == ("installer", "installer", "kioskctl")


async def test_a_wrong_secret_says_tries_left_and_never_acts(handlers: Handlers) -> None:
    handlers.d.alerts.raise_alert("stacker_full", "critical")
    alert_id = handlers.d.alerts.listing()[0]["id"]
    request = {"cmd": "alert_ack", "id": alert_id, "staff": "2001", "secret": "wrong-password"}
    with pytest.raises(ControlError, match="wrong staff ID or secret, 4 tries left"):
        await handlers.handle(request)
    assert handlers.d.alerts.listing()[0]["state"] == "raised"
    for bad in ({"staff": "2001"}, {"staff": 2001, "secret": "x"}, {"staff": "2001", "secret": ["x"]}):
        with pytest.raises(ControlError, match="staff and secret"):
            await handlers.handle({"cmd": "status", **bad})
    for _ in range(4):
        with pytest.raises(ControlError):
            await handlers.handle(request)
    with pytest.raises(ControlError, match="staff 2001 is locked until"):
        await handlers.handle({**request, "secret": STAFF["2001"][2]})


def kioskctl(socket: str, *args: str, secret: str = "") -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-m", "kioskd.cli.main", *args, "--socket", socket, "--json"],
                          cwd=ROOT, input=secret + "\n", capture_output=True, text=True, timeout=60)
    return done.returncode, json.loads(done.stdout)


async def test_kioskctl_acts_as_the_person_who_types_their_secret(kiosk: RunningKiosk) -> None:
    state = kiosk.state_dir
    socket = str(state / "control.sock")
    await asyncio.to_thread(add_staff, state, STAFF)
    await pay(kiosk, "0012345678", [10000])
    code, me = kioskctl(socket, "whoami", "--as", "2001", "--secret-stdin", secret=STAFF["2001"][2])
    assert code == 0 and me["person"]["label"] == "2001 王芳" and me["person"]["via"] == "kioskctl"
    code, reply = kioskctl(socket, "receipt", "reprint", "1", "--as", "2001", "--secret-stdin",
                           secret=STAFF["2001"][2])
    assert code == 0 and reply["duplicate"] == 1
    code, reply = kioskctl(socket, "report", "close", "--as", "2001", "--secret-stdin", secret=STAFF["2001"][2])
    assert code == 1 and reply["error"] == "2001 王芳 (hall staff) may not report close"
    code, reply = kioskctl(socket, "receipt", "reprint", "1", "--as", "1001", "--secret-stdin", secret="000000")
    assert code == 1 and "4 tries left" in reply["error"]
    code, reply = kioskctl(socket, "report", "close", "--as", "3001", "--secret-stdin", secret=STAFF["3001"][2])
    assert code == 0 and reply["report"]["count"] == 1
    code, reply = kioskctl(socket, "report", "range", "--as", "2001", "--secret-stdin", secret=STAFF["2001"][2])
    assert code == 0 and reply["report"]["count"] == 1 and len(reply["report"]["days"]) == 7

    db = sqlite3.connect(state / "journal.sqlite3")
    entries = [(k, json.loads(d)) for k, d in db.execute("select kind, data from audit order by seq")]
    db.close()
    [reprint] = [d for k, d in entries if k == "reprint"]
    assert (reprint["by"], reprint["by_name"], reprint["by_role"], reprint["via"]) == (
        "2001", "王芳", "hall", "kioskctl")
    [refused] = [d for k, d in entries if k == "staff_refused"]
    assert (refused["by"], refused["action"]) == ("2001", "report_close")
    # the close 3001 ran (an automatic one, run after 23:30 local, names nobody)
    [closed] = [d for k, d in entries if k == "daily_close" and "by" in d]
    assert (closed["by"], closed["by_role"], closed["count"]) == ("3001", "manager", 1)
    auth = [(d["staff"], d["result"], d["via"], d["uid"]) for k, d in entries if k == "staff_auth"]
    assert auth == [("2001", "ok", "kioskctl", os.getuid())] * 3 + [
        ("1001", "bad_secret", "kioskctl", os.getuid()), ("3001", "ok", "kioskctl", os.getuid()),
        ("2001", "ok", "kioskctl", os.getuid())]
    assert not any(secret in json.dumps(entries, ensure_ascii=False) for _, _, secret in STAFF.values())
