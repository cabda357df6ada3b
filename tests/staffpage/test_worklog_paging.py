"""The work log over the staff page's HTTP API a page at a time: newest first, back to the oldest
entry by cursor and forward again, every entry once; a bad page size or cursor is refused."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import aiohttp

from .conftest import Page

WORKLOG = "api/registers/worklog"


async def worklog(session: aiohttp.ClientSession, page: Page, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with session.post(page.url + WORKLOG, json=body) as resp:
        return resp.status, await resp.json()


async def test_the_work_log_pages_back_to_the_oldest_entry_and_forward_again(staff_page: Page) -> None:
    for n in range(230):
        await staff_page.daemon.ledger.audit_append("report_export", {"since": f"n{n}", "by": "2001"})
    session = await staff_page.logged_in("2001")
    status, everything = await worklog(session, staff_page, {})  # the default: oldest first, up to 5000
    assert status == 200 and everything["older"] is None and everything["newer"] is None
    seqs = [e["seq"] for e in everything["entries"]]
    assert len(seqs) > 230 and seqs == sorted(seqs)

    pages, cursor = [], {"newest": True}
    while True:
        status, reply = await worklog(session, staff_page, {"limit": 100, **cursor})
        assert status == 200, reply
        pages.append([e["seq"] for e in reply["entries"]])
        if reply["older"] is None:
            break
        assert reply["older"] == pages[-1][0]
        cursor = {"before": reply["older"]}
    assert [len(p) for p in pages[:-1]] == [100] * (len(pages) - 1) and 0 < len(pages[-1]) <= 100
    assert [s for p in reversed(pages) for s in p] == seqs  # every entry once, in order
    assert pages[0][-1] == seqs[-1] and pages[-1][0] == seqs[0]

    # forward again from the oldest page: the next page is the one shown before it
    status, oldest = await worklog(session, staff_page, {"limit": 100, "before": pages[-2][0]})
    assert status == 200 and oldest["newer"] == pages[-1][-1]
    status, forward = await worklog(session, staff_page, {"limit": 100, "after": oldest["newer"]})
    assert status == 200 and [e["seq"] for e in forward["entries"]] == pages[-2]
    assert forward["older"] == pages[-2][0]

    # filtered by kind: only the 230 exports, the oldest first when no cursor is given
    status, exports = await worklog(session, staff_page, {"kind": "report_export", "limit": 200})
    assert status == 200 and [e["data"]["since"] for e in exports["entries"]] == [f"n{n}" for n in range(200)]
    assert exports["older"] is None and exports["newer"] == exports["entries"][-1]["seq"]
    status, rest = await worklog(session, staff_page, {"kind": "report_export", "after": exports["newer"]})
    assert [e["data"]["since"] for e in rest["entries"]] == [f"n{n}" for n in range(200, 230)]
    assert rest["newer"] is None and rest["older"] == rest["entries"][0]["seq"]
    # past either end: an empty page whose cursor leads back
    status, beyond = await worklog(session, staff_page, {"after": seqs[-1] + 5})
    assert (status, beyond["entries"], beyond["newer"], beyond["older"]) == (200, [], None, seqs[-1] + 6)
    status, before_all = await worklog(session, staff_page, {"before": 1})
    assert (status, before_all["entries"], before_all["older"], before_all["newer"]) == (200, [], None, 0)


async def test_a_bad_page_size_or_cursor_is_refused_in_both_languages(staff_page: Page) -> None:
    session = await staff_page.logged_in("2001")
    for body, named in [({"limit": 0}, "limit"), ({"limit": 20001}, "limit"), ({"limit": "100"}, "limit"),
                        ({"limit": True}, "limit"), ({"limit": 1.5}, "limit"), ({"before": 0}, "before"),
                        ({"before": -3}, "before"), ({"before": 2**63}, "before"), ({"after": -1}, "after"),
                        ({"after": "12; DROP TABLE audit"}, "after"), ({"before": [5]}, "before")]:
        status, reply = await worklog(session, staff_page, body)
        assert status == 409, body
        assert reply["error"].startswith(f"{named}: an integer from ") and "须为" in reply["error_zh"], reply
    status, reply = await worklog(session, staff_page, {"before": 10, "after": 3})
    assert status == 409 and reply["error"] == "before and after: one cursor at a time"
    status, reply = await worklog(session, staff_page, {"newest": "yes"})
    assert status == 409 and reply["error"].startswith("newest: true or false required")
    status, reply = await worklog(session, staff_page, {"limit": 20000, "before": 2**63 - 1})  # the bounds themselves
    assert status == 200 and reply["entries"]


async def test_the_work_log_names_who_acknowledged_and_who_cleared_an_alert(staff_page: Page) -> None:
    alerts = staff_page.daemon.alerts
    alerts.raise_alert("custody_mismatch", "critical", session="s-1", box_id="B-1", over="5000", short="0")
    alert_id = alerts.listing()[0]["id"]
    hall, manager = await staff_page.logged_in("2001"), await staff_page.logged_in("3001")
    async with hall.post(staff_page.url + f"api/alerts/{alert_id}/ack") as resp:
        assert resp.status == 200
    async with manager.post(staff_page.url + f"api/alerts/{alert_id}/clear") as resp:
        assert resp.status == 200
    await alerts.drain()
    status, log = await worklog(hall, staff_page, {"kind": "alert"})
    assert status == 200
    # each change by a person names them as every other entry does (the raise is the kiosk's own)
    assert [(e["data"]["state"], e["data"].get("by"), e["data"].get("by_name"), e["data"].get("by_role"),
             e["data"].get("via")) for e in log["entries"]] == [
        ("raised", None, None, None, None), ("acknowledged", "2001", "王芳", "hall", "page"),
        ("cleared", "3001", "赵经理", "manager", "page")]
    # ... and the person filter finds them
    for person, state in (("2001", "acknowledged"), ("3001", "cleared")):
        status, mine = await worklog(hall, staff_page, {"kind": "alert", "person": person})
        assert status == 200 and [e["data"]["state"] for e in mine["entries"]] == [state]
    # the backend's copy keeps its contract: the person in the detail, as before
    with sqlite3.connect(staff_page.daemon.ledger.path) as db:
        sent = [json.loads(body) for (body,) in db.execute("SELECT body FROM outbox WHERE kind = 'alert' ORDER BY id")]
    assert [(b["state"], "by" in b, b["detail"].get("acknowledged_by"), b["detail"].get("cleared_by"))
            for b in sent] == [("raised", False, None, None), ("acknowledged", False, "2001 王芳", None),
                               ("cleared", False, "2001 王芳", "3001 赵经理")]
