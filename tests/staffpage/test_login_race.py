"""The login limit holds against many log-ins at once: each is counted before its body is read.

Every request below first sends its headers (with `Expect: 100-continue`, so the page has routed it
before any body arrives), and only then all bodies: the attack of issue #21, item 4.
"""

from __future__ import annotations

import pytest

from kioskd.hall.page.sessions import MAX_FAILURES, MAX_LOGINS_IN_FLIGHT
from tests.raw_login import RawLogin, all_at_once

from .conftest import STAFF, TOKEN, Page


def raw_login(page: Page, form: dict[str, str], source: str = "127.0.0.1") -> RawLogin:
    """A raw log-in to the staff page."""
    return RawLogin(page.url, "/login", page.origin, form, source)


async def judged_entries(page: Page) -> list[dict]:
    return [e["data"] for e in await page.daemon.ledger.audit_entries() if e["type"] == "staff_auth"]


@pytest.mark.parametrize("kind", ["token", "staff"])
async def test_thirty_wrong_log_ins_at_once_then_the_right_one_judge_at_most_the_limit(
        staff_page: Page, kind: str) -> None:
    if kind == "token":
        wrong = [{"token": f"{TOKEN}-{i}"} for i in range(30)]
        right = {"token": TOKEN}
    else:  # unknown IDs, so no account lockout stops the guessing: only the client limit may
        wrong = [{"staff": f"90{i:02d}", "secret": "000000"} for i in range(30)]
        right = {"staff": "2001", "secret": STAFF["2001"][2]}
    logins = [raw_login(staff_page, form) for form in [*wrong, right]]
    statuses = await all_at_once(logins)
    judged = [s for s in statuses if s in (200, 401)]
    assert len(judged) <= MAX_FAILURES, statuses
    assert statuses[-1] in (429, 503), logins[-1].answer  # the right secret came too late: not let in
    assert set(statuses) <= {401, 429, 503}
    if kind == "staff":
        assert len(await judged_entries(staff_page)) == len(judged)
    assert not staff_page.daemon.alerts.listing()  # no emergency login happened
    # and afterwards the client still waits, whatever it sends
    async with staff_page.client().post(staff_page.url + "login", data=right) as resp:
        assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1


async def test_log_ins_in_flight_from_many_clients_are_capped_and_the_rest_told_to_retry(staff_page: Page) -> None:
    # each from its own address on the loopback net, so no per-client limit applies
    logins = [raw_login(staff_page, {"staff": "2001", "secret": STAFF["2001"][2]}, source=f"127.0.0.{10 + i}")
              for i in range(MAX_LOGINS_IN_FLIGHT + 4)]
    statuses = await all_at_once(logins)
    assert statuses.count(200) == MAX_LOGINS_IN_FLIGHT, statuses
    refused = [login for login in logins if login.status == 503]
    assert len(refused) == 4 and all(b"busy" in login.answer for login in refused)
    # once they are answered, the page takes log-ins again
    async with staff_page.client().post(staff_page.url + "login",
                                        data={"staff": "2001", "secret": STAFF["2001"][2]}) as resp:
        assert resp.status == 200
