"""The work log over the staff page's HTTP API a page at a time: newest first, back to the oldest
entry by cursor and forward again, every entry once; a bad page size or cursor is refused."""

from __future__ import annotations

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
