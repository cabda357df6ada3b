"""The operator page's login limit holds against many log-ins at once: each is counted before its
body is read, and at most MAX_LOGINS_IN_FLIGHT are judged at once (as the staff page, 8bcab1c).

Every request below first sends its headers (with `Expect: 100-continue`, so the page has routed it
before any body arrives), and only then all bodies.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp

from refbackend.operators import MAX_FAILURES
from refbackend.page.server import MAX_LOGINS_IN_FLIGHT
from tests.raw_login import RawLogin, all_at_once
from tests.refbackend.conftest import OPERATOR_PASSWORD


def raw_login(url: str, form: dict[str, str], source: str = "127.0.0.1") -> RawLogin:
    """A raw log-in to the operator page of the backend at `url`."""
    return RawLogin(url, "/operator/login", f"http://{urlsplit(url).netloc}", form, source)


async def test_thirty_wrong_passwords_at_once_then_the_right_one_judge_at_most_the_limit(ref) -> None:
    wrong = [{"login": "ana", "password": f"wrong password {i}"} for i in range(30)]
    logins = [raw_login(ref.url, form) for form in [*wrong, {"login": "ana", "password": OPERATOR_PASSWORD}]]
    statuses = await all_at_once(logins)
    judged = [s for s in statuses if s in (200, 401)]
    assert len(judged) <= MAX_FAILURES, statuses
    assert statuses[-1] in (429, 503), logins[-1].answer  # the right password came too late: not let in
    assert set(statuses) <= {401, 429, 503}
    # and afterwards this address still waits, whatever it sends
    async with aiohttp.ClientSession() as client, client.post(
            ref.url + "operator/login", data={"login": "ana", "password": OPERATOR_PASSWORD},
            headers={"Origin": ref.url.rstrip("/")}) as resp:
        assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1


async def test_log_ins_in_flight_from_many_addresses_are_capped_and_the_rest_told_to_retry(ref) -> None:
    # each from its own address on the loopback net, so no per-address limit applies
    logins = [raw_login(ref.url, {"login": "ana", "password": OPERATOR_PASSWORD}, source=f"127.0.0.{10 + i}")
              for i in range(MAX_LOGINS_IN_FLIGHT + 4)]
    statuses = await all_at_once(logins)
    assert statuses.count(200) == MAX_LOGINS_IN_FLIGHT, statuses
    refused = [login for login in logins if login.status == 503]
    assert len(refused) == 4 and all(b"busy" in login.answer for login in refused)
    # once they are answered, the page takes log-ins again
    async with aiohttp.ClientSession() as client, client.post(
            ref.url + "operator/login", data={"login": "ana", "password": OPERATOR_PASSWORD},
            headers={"Origin": ref.url.rstrip("/")}) as resp:
        assert resp.status == 200
