"""The staff page over real HTTP: login, cookie, rate limit, Origin/Host, acknowledge, route separation."""

from __future__ import annotations

import logging

import aiohttp

from kioskd.customer.screen.server import ScreenServer

from .conftest import TOKEN, Page


async def test_status_needs_a_login_and_shows_what_kioskctl_shows(staff_page: Page) -> None:
    anonymous = staff_page.client()
    async with anonymous.get(staff_page.url + "api/status") as resp:
        assert resp.status == 401
    session = await staff_page.logged_in()
    async with session.get(staff_page.url + "api/status") as resp:
        assert resp.status == 200
        body = await resp.json()
    status = body["status"]
    assert status["kiosk"] == "K-TEST-01" and status["state"] == "service_idle"
    assert status["devices"] == {"validator": "online", "printer": "online"}
    assert status["box"] == {"by_note": {}, "notes": 0, "total": 0}
    assert status["last_backend_contact"] == "2024-05-01T08:00:00Z"
    assert body["alerts"] == []


async def test_login_cookie_is_httponly_strict_and_expires(staff_page: Page) -> None:
    session = staff_page.client()
    async with session.post(staff_page.url + "login", data={"token": TOKEN}) as resp:
        assert resp.status == 200
        cookie = resp.headers["Set-Cookie"]
    parts = {p.strip().split("=")[0].lower(): p.strip() for p in cookie.split(";")}
    assert cookie.startswith("kioskd_staff=") and len(cookie.split(";")[0]) > 40  # a random id
    assert "httponly" in parts and parts["samesite"] == "SameSite=Strict" and parts["path"] == "Path=/"
    assert parts["max-age"] == "Max-Age=43200"
    assert TOKEN not in cookie


async def test_logout_ends_the_session(staff_page: Page) -> None:
    session = await staff_page.logged_in()
    sid = next(c.value for c in session.cookie_jar if c.key == "kioskd_staff")
    async with session.post(staff_page.url + "logout") as resp:
        assert resp.status == 200
    async with session.get(staff_page.url + "api/status") as resp:
        assert resp.status == 401
    # the old id replayed by hand is dead too, not just forgotten by the browser
    replay = staff_page.client(Cookie=f"kioskd_staff={sid}")
    async with replay.get(staff_page.url + "api/status") as resp:
        assert resp.status == 401


async def test_wrong_tokens_are_logged_and_limited(staff_page: Page, caplog) -> None:
    session = staff_page.client()
    caplog.set_level(logging.WARNING, logger="kioskd.hall.page")
    for wrong in ("", "hall-staff-token-2023", TOKEN[:-1], TOKEN + "x", TOKEN.upper()):
        async with session.post(staff_page.url + "login", data={"token": wrong}) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"] == "bad_token"
            assert "Set-Cookie" not in resp.headers
    assert sum("wrong token from 127.0.0.1" in r.getMessage() for r in caplog.records) == 5
    # the sixth try is refused before the token is even compared: the right one too
    async with session.post(staff_page.url + "login", data={"token": TOKEN}) as resp:
        assert resp.status == 429
        assert 1 <= int(resp.headers["Retry-After"]) <= 60
        assert (await resp.json())["error"] == "too_many"
        assert "Set-Cookie" not in resp.headers
    async with session.get(staff_page.url + "api/status") as resp:
        assert resp.status == 401


async def test_posts_from_another_origin_or_host_are_refused(staff_page: Page) -> None:
    alert_id = raise_stacker_full(staff_page)
    good = await staff_page.logged_in()
    cookie = {"Cookie": "kioskd_staff=" + next(c.value for c in good.cookie_jar if c.key == "kioskd_staff")}
    for origin in (None, "http://evil.example", "null", staff_page.origin.replace("127.0.0.1", "localhost") + "1"):
        headers = dict(cookie) if origin is None else {**cookie, "Origin": origin}
        async with aiohttp.ClientSession(skip_auto_headers=["Origin"]) as other:
            async with other.post(staff_page.url + f"api/alerts/{alert_id}/ack", headers=headers) as resp:
                assert resp.status == 403, origin
            async with other.post(staff_page.url + "login", data={"token": TOKEN}, headers=headers) as resp:
                assert resp.status == 403 and "Set-Cookie" not in resp.headers
    # DNS rebinding: a foreign name that resolves to us
    async with good.get(staff_page.url + "api/status", headers={"Host": "evil.example"}) as resp:
        assert resp.status == 403
    assert staff_page.daemon.alerts.listing()[0]["state"] == "raised"


async def test_acknowledge_marks_the_alert_by_the_staff_page(staff_page: Page) -> None:
    alert_id = raise_stacker_full(staff_page)
    anonymous = staff_page.client()
    async with anonymous.post(staff_page.url + f"api/alerts/{alert_id}/ack") as resp:
        assert resp.status == 401
    session = await staff_page.logged_in()
    async with session.get(staff_page.url + "api/status") as resp:
        body = await resp.json()
    [shown] = body["alerts"]
    assert (shown["id"], shown["state"], shown["severity"]) == (alert_id, "raised", "critical")
    assert (shown["title_zh"], shown["title_en"]) == ("钱箱已满", "cash box full")
    assert body["status"]["devices"]["validator"] == "stacker_full"
    async with session.post(staff_page.url + f"api/alerts/{alert_id}/ack") as resp:
        assert resp.status == 200
        assert (await resp.json())["alert"]["acknowledged_by"] == "staff-page"
    [listed] = staff_page.daemon.alerts.listing()
    assert (listed["state"], listed["acknowledged_by"]) == ("acknowledged", "staff-page")
    # the change went where every alert change goes: the outbox for /v1/alerts
    assert (await staff_page.daemon.ledger.outbox_depth()).get("alert") == 2
    async with session.post(staff_page.url + f"api/alerts/{alert_id}/ack") as resp:
        assert resp.status == 409 and "already acknowledged" in (await resp.json())["error"]
    async with session.post(staff_page.url + "api/alerts/no-such-alert/ack") as resp:
        assert resp.status == 409 and "no open alert" in (await resp.json())["error"]


async def test_security_headers_on_every_answer(staff_page: Page) -> None:
    session = staff_page.client()
    for path, status in (("", 200), ("staff.js", 200), ("api/status", 401)):
        async with session.get(staff_page.url + path) as resp:
            assert resp.status == status, path
            csp = resp.headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp and "form-action 'self'" in csp
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["Cache-Control"] == "no-store"
    async with session.get(staff_page.url + "api/status", headers={"Host": "evil.example"}) as resp:
        assert resp.status == 403 and "Content-Security-Policy" in resp.headers


async def test_no_customer_route_on_the_staff_port(staff_page: Page) -> None:
    session = await staff_page.logged_in()
    for path in ("ws", "sim", "sim.js", "sim/state", "app.js", "style.css"):
        async with session.get(staff_page.url + path) as resp:
            assert resp.status == 404, path
    for path in ("key", "sim/insert", "sim/fault"):
        async with session.post(staff_page.url + path, json={"key": "1"}) as resp:
            assert resp.status == 404, path


async def test_no_staff_route_on_the_customer_port() -> None:
    screen = ScreenServer("127.0.0.1:0", on_key=lambda key: None)
    url = await screen.start()
    try:
        async with aiohttp.ClientSession(headers={"Origin": url.rstrip("/")}) as session:
            for path in ("api/status", "staff.js", "staff.css"):
                async with session.get(url + path) as resp:
                    assert resp.status == 404, path
            for path in ("login", "logout", "api/alerts/x/ack"):
                async with session.post(url + path, data={"token": TOKEN}) as resp:
                    assert resp.status == 404, path
            async with session.get(url) as resp:
                assert "staff" not in (await resp.text()).lower()
    finally:
        await screen.stop()


def raise_stacker_full(staff_page: Page) -> str:
    staff_page.daemon.alerts.raise_alert("stacker_full", "critical")
    return staff_page.daemon.alerts.listing()[0]["id"]
