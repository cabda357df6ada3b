"""The staff page over real HTTP: per-person login, cookie, rate limit, Origin/Host, roles, route separation."""

from __future__ import annotations

import logging

import aiohttp

from kioskd.customer.screen.server import ScreenServer

from .conftest import STAFF, TOKEN, Page


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
    async with session.post(staff_page.url + "login", data={"staff": "2001", "secret": STAFF["2001"][2]}) as resp:
        assert resp.status == 200
        assert (await resp.json())["me"] == {"id": "2001", "name": "王芳", "role": "hall", "via": "page",
                                             "label": "2001 王芳"}
        cookie = resp.headers["Set-Cookie"]
    parts = {p.strip().split("=")[0].lower(): p.strip() for p in cookie.split(";")}
    assert cookie.startswith("kioskd_staff=") and len(cookie.split(";")[0]) > 40  # a random id
    assert "httponly" in parts and parts["samesite"] == "SameSite=Strict" and parts["path"] == "Path=/"
    assert parts["max-age"] == "Max-Age=43200"
    assert STAFF["2001"][2] not in cookie


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


async def test_wrong_secrets_say_how_many_tries_are_left_then_lock_the_account(staff_page: Page, caplog) -> None:
    session = staff_page.client()
    caplog.set_level(logging.WARNING, logger="kioskd.hall.page")
    answers = []
    for _ in range(4):
        async with session.post(staff_page.url + "login", data={"staff": "2002", "secret": "999999"}) as resp:
            assert resp.status == 401 and "Set-Cookie" not in resp.headers
            answers.append(await resp.json())
    assert [(a["error"], a["tries_left"]) for a in answers] == [("bad_secret", n) for n in (4, 3, 2, 1)]
    assert sum("log-in as 2002 from 127.0.0.1 refused" in r.getMessage() for r in caplog.records) == 4
    async with session.post(staff_page.url + "login", data={"staff": "2002", "secret": "999999"}) as resp:
        locked = await resp.json()
    assert locked["error"] == "locked" and locked["locked_until"] > "2024"
    # the client made five wrong log-ins: even the right secret of another account waits now
    async with session.post(staff_page.url + "login", data={"staff": "2001", "secret": STAFF["2001"][2]}) as resp:
        assert resp.status == 429 and 1 <= int(resp.headers["Retry-After"]) <= 60
        assert (await resp.json())["error"] == "too_many" and "Set-Cookie" not in resp.headers
    # from another client the locked account stays locked, with its right PIN too
    staff_page.page.limiter = type(staff_page.page.limiter)()
    async with session.post(staff_page.url + "login", data={"staff": "2002", "secret": STAFF["2002"][2]}) as resp:
        assert resp.status == 401 and (await resp.json())["error"] == "locked"
    entries = [e["data"] for e in await staff_page.daemon.ledger.audit_entries() if e["type"] == "staff_auth"]
    assert [(e["staff"], e["result"], e["via"], e["client"]) for e in entries] == (
        [("2002", "bad_secret", "page", "127.0.0.1")] * 5 + [("2002", "locked", "page", "127.0.0.1")])
    assert STAFF["2002"][2] not in str(entries)


async def test_an_account_disabled_while_logged_in_acts_no_more(staff_page: Page) -> None:
    session = await staff_page.logged_in("2002")
    async with session.get(staff_page.url + "api/status") as resp:
        assert resp.status == 200
    await staff_page.daemon.ledger.staff_disable("2002", {"by": "test"})
    async with session.get(staff_page.url + "api/status") as resp:
        assert resp.status == 401
    async with session.post(staff_page.url + "api/alerts/any/ack") as resp:
        assert resp.status == 401


async def test_unknown_and_disabled_accounts_are_refused(staff_page: Page) -> None:
    session = staff_page.client()
    await staff_page.daemon.ledger.staff_disable("2002", {"by": "test"})
    for staff, secret, error in (("9999", "whatever-1", "unknown"), ("2002", STAFF["2002"][2], "disabled"),
                                 ("", "whatever-1", "missing")):
        async with session.post(staff_page.url + "login", data={"staff": staff, "secret": secret}) as resp:
            assert resp.status in (400, 401) and (await resp.json())["error"] == error, staff


async def test_the_emergency_token_is_audited_and_alerted_every_time(staff_page: Page, caplog) -> None:
    session = staff_page.client()
    caplog.set_level(logging.WARNING, logger="kioskd.hall.page")
    async with session.post(staff_page.url + "login", data={"token": TOKEN[:-1]}) as resp:
        assert resp.status == 401 and (await resp.json())["error"] == "bad_token"
    async with session.post(staff_page.url + "login", data={"token": TOKEN}) as resp:
        assert resp.status == 200
        me = (await resp.json())["me"]
    assert (me["id"], me["role"], me["via"]) == ("installer", "installer", "emergency")
    assert "EMERGENCY TOKEN login from 127.0.0.1" in caplog.text
    [alert] = staff_page.daemon.alerts.listing()
    assert (alert["code"], alert["severity"], alert["detail"]["client"]) == (
        "staff_emergency_login", "warning", "127.0.0.1")
    logins = [e["data"] for e in await staff_page.daemon.ledger.audit_entries()
              if e["type"] == "staff_emergency_login"]
    assert logins == [{"client": "127.0.0.1", "via": "page"}]
    # what the installer does then is theirs, named as the emergency login
    async with session.post(staff_page.url + f"api/alerts/{alert['id']}/ack") as resp:
        assert resp.status == 200
        assert (await resp.json())["alert"]["acknowledged_by"] == "installer emergency token from 127.0.0.1"


async def test_without_a_token_there_is_no_emergency_login(staff_page: Page) -> None:
    staff_page.page._token = b""
    async with staff_page.client().post(staff_page.url + "login", data={"token": ""}) as resp:
        assert resp.status == 401 and (await resp.json())["error"] == "bad_token"


async def test_posts_from_another_origin_or_host_are_refused(staff_page: Page) -> None:
    alert_id = raise_stacker_full(staff_page)
    good = await staff_page.logged_in()
    cookie = {"Cookie": "kioskd_staff=" + next(c.value for c in good.cookie_jar if c.key == "kioskd_staff")}
    for origin in (None, "http://evil.example", "null", staff_page.origin.replace("127.0.0.1", "localhost") + "1"):
        headers = dict(cookie) if origin is None else {**cookie, "Origin": origin}
        async with aiohttp.ClientSession(skip_auto_headers=["Origin"]) as other:
            async with other.post(staff_page.url + f"api/alerts/{alert_id}/ack", headers=headers) as resp:
                assert resp.status == 403, origin
            async with other.post(staff_page.url + "login", data={"staff": "2001", "secret": STAFF["2001"][2]},
                                  headers=headers) as resp:
                assert resp.status == 403 and "Set-Cookie" not in resp.headers
    # DNS rebinding: a foreign name that resolves to us
    async with good.get(staff_page.url + "api/status", headers={"Host": "evil.example"}) as resp:
        assert resp.status == 403
    assert staff_page.daemon.alerts.listing()[0]["state"] == "raised"


async def test_acknowledge_names_the_person_who_did_it(staff_page: Page) -> None:
    alert_id = raise_stacker_full(staff_page)
    anonymous = staff_page.client()
    async with anonymous.post(staff_page.url + f"api/alerts/{alert_id}/ack") as resp:
        assert resp.status == 401
    session = await staff_page.logged_in("2001")
    async with session.get(staff_page.url + "api/status") as resp:
        body = await resp.json()
    [shown] = body["alerts"]
    assert (shown["id"], shown["state"], shown["severity"]) == (alert_id, "raised", "critical")
    assert (shown["title_zh"], shown["title_en"]) == ("钱箱已满", "cash box full")
    assert body["status"]["devices"]["validator"] == "stacker_full"
    assert body["me"]["label"] == "2001 王芳" and "alert_ack" in body["may"]
    assert "alert_clear_money" not in body["may"]
    async with session.post(staff_page.url + f"api/alerts/{alert_id}/ack") as resp:
        assert resp.status == 200
        assert (await resp.json())["alert"]["acknowledged_by"] == "2001 王芳"
    [listed] = staff_page.daemon.alerts.listing()
    assert (listed["state"], listed["acknowledged_by"]) == ("acknowledged", "2001 王芳")
    # the change went where every alert change goes: the outbox for /v1/alerts, and the chain; the alerts'
    # writer stores changes in turn after the answer (the raise's file save may still hold the ack back)
    await staff_page.daemon.alerts.drain()
    assert (await staff_page.daemon.ledger.outbox_depth()).get("alert") == 2
    [acked] = [e["data"] for e in await staff_page.daemon.ledger.audit_entries()
               if e["type"] == "alert" and e["data"]["state"] == "acknowledged"]
    assert acked["detail"]["acknowledged_by"] == "2001 王芳"
    async with session.post(staff_page.url + f"api/alerts/{alert_id}/ack") as resp:
        assert resp.status == 409 and "already acknowledged" in (await resp.json())["error"]
    async with session.post(staff_page.url + "api/alerts/no-such-alert/ack") as resp:
        assert resp.status == 409 and "no open alert" in (await resp.json())["error"]


async def test_a_money_alert_is_a_managers_to_clear(staff_page: Page) -> None:
    alerts = staff_page.daemon.alerts
    alerts.raise_alert("custody_mismatch", "critical", session="s-1", box_id="B-1", over="5000", short="10000")
    alert_id = alerts.listing()[0]["id"]
    hall, technician, manager = [await staff_page.logged_in(s) for s in ("2001", "1001", "3001")]
    async with hall.post(staff_page.url + f"api/alerts/{alert_id}/clear") as resp:
        assert resp.status == 403
        refusal = await resp.json()
    assert refusal["error"] == "2001 王芳 (hall staff) may not alert clear money" and refusal["forbidden"]
    async with technician.post(staff_page.url + f"api/alerts/{alert_id}/ack") as resp:
        assert resp.status == 403  # technicians open the box; they do not handle the hall's alerts
    assert alerts.listing()[0]["state"] == "raised"
    async with manager.post(staff_page.url + f"api/alerts/{alert_id}/clear") as resp:
        assert resp.status == 200
    assert alerts.listing() == []
    await alerts.drain()
    entries = await staff_page.daemon.ledger.audit_entries()
    refused = [e["data"] for e in entries if e["type"] == "staff_refused"]
    assert [(r["by"], r["by_role"], r["action"]) for r in refused] == [
        ("2001", "hall", "alert_clear_money"), ("1001", "technician", "alert_ack")]
    [cleared] = [e["data"] for e in entries if e["type"] == "alert" and e["data"]["state"] == "cleared"]
    assert cleared["detail"]["cleared_by"] == "3001 赵经理"


async def test_a_box_removed_without_custody_is_cleared_only_by_a_custody_session(staff_page: Page) -> None:
    alerts = staff_page.daemon.alerts
    alerts.raise_alert("box_tamper", "critical")
    alert_id = alerts.listing()[0]["id"]
    manager = await staff_page.logged_in("3001")
    async with manager.post(staff_page.url + f"api/alerts/{alert_id}/clear") as resp:
        assert resp.status == 409
        refusal = await resp.json()
    assert "completed custody session" in refusal["error"] and "双人" in refusal["error_zh"]
    assert [a["code"] for a in alerts.listing()] == ["box_tamper"]
    [entry] = [e["data"] for e in await staff_page.daemon.ledger.audit_entries() if e["type"] == "staff_refused"]
    assert (entry["by"], entry["action"], entry["code"], entry["via"]) == ("3001", "alert_clear", "box_tamper", "page")


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
                async with session.post(url + path, data={"staff": "2001", "secret": STAFF["2001"][2]}) as resp:
                    assert resp.status == 404, path
            async with session.get(url) as resp:
                assert "staff" not in (await resp.text()).lower()
    finally:
        await screen.stop()


def raise_stacker_full(staff_page: Page) -> str:
    staff_page.daemon.alerts.raise_alert("stacker_full", "critical")
    return staff_page.daemon.alerts.listing()[0]["id"]


async def test_payments_and_reports_through_the_api_as_the_role_allows(staff_page: Page) -> None:
    hall, technician = await staff_page.logged_in("2001"), await staff_page.logged_in("1001")
    async with hall.get(staff_page.url + "api/txns?since=2024-05-01T10:00&until=2024-05-01&amount=15000") as resp:
        assert resp.status == 200 and (await resp.json()) == {"txns": []}  # a local time needs no offset
    for query, status, says in (("amount=12.50", 400, "amount"), ("since=yesterday", 409, "since"),
                                ("ref=99", 409, "no transaction 99")):
        async with hall.get(staff_page.url + "api/txns?" + query) as resp:
            assert resp.status == status and says in (await resp.json())["error"], query
    async with hall.post(staff_page.url + "api/txns/99/reprint") as resp:
        assert resp.status == 409 and "no transaction 99" in (await resp.json())["error"]
    async with hall.get(staff_page.url + "api/reports/daily?date=2024-05-01") as resp:
        report = (await resp.json())["report"]
    assert (report["date"], report["count"], report["total"]) == ("2024-05-01", 0, 0)
    async with hall.get(staff_page.url + "api/reports/range?since=2024-05-01&until=2024-05-03") as resp:
        report = (await resp.json())["report"]
    assert list(report["days"]) == ["2024-05-01", "2024-05-02", "2024-05-03"] and report["count"] == 0
    for query in ("since=2024-05-03&until=2024-05-01", "since=2023-01-01&until=2024-05-01"):
        async with hall.get(staff_page.url + "api/reports/range?" + query) as resp:
            assert resp.status == 409, query
    async with hall.post(staff_page.url + "api/reports/daily", data="[1]") as resp:
        assert resp.status == 400
    # a technician opens the box; looking up customers' payments is the hall's work
    for path in ("api/txns?account=0012345678", "api/reports/daily"):
        async with technician.get(staff_page.url + path) as resp:
            body = await resp.json()
            assert resp.status == 403 and body["roles"] == ["hall", "manager"], path
